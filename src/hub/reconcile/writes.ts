/** The writes every controller makes the same way: through the registry, fed back into its cache. */
import type { KubeObject, ResourceType } from '../../api/index.js';
import { NotFoundError } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';

/**
 * Writes `obj.status` and feeds the result into `cache` (the next reconcile sees its own write). An
 * object deleted meanwhile is no error: there is nothing left to report on.
 */
export async function writeStatus<T extends KubeObject>(
  api: ObjectAPI,
  type: ResourceType,
  cache: Informer<T>,
  obj: T,
): Promise<void> {
  try {
    cache.observe(await api.updateStatus<T>(type, obj));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/**
 * Deletes `obj` and feeds the cache (a graceful delete leaves it terminating, a final one removes it).
 * Resolves false when it was already gone.
 */
export async function deleteAndObserve<T extends KubeObject>(
  api: ObjectAPI,
  type: ResourceType,
  cache: Informer<T>,
  obj: T,
): Promise<boolean> {
  try {
    const left = await api.delete<T>(type, obj.metadata.namespace, obj.metadata.name ?? '');
    cache.observe(left, left.metadata.deletionTimestamp === undefined);
    return true;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return false;
  }
}

/**
 * Runs `write` for every item at once and waits for them all, as Kubernetes' controllers issue a burst
 * of pod creations or deletions (one after another, a burst of 500 waited out 500 commits in turn).
 * Resolves with the errors of the writes that failed, in the items' order; never rejects.
 */
export async function writeAll<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<unknown[]> {
  const results = await Promise.allSettled(items.map((item) => write(item)));
  return results.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason as unknown] : []));
}

/** The writes every controller makes the same way: through the registry, fed back into its cache. */
import type { KubeObject, ResourceType } from '../../api/index.js';
import { NotFoundError, errorMessage } from '../../api/index.js';
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
  // Each call inside an async function: one that throws at once is a failure like the others.
  const results = await Promise.allSettled(items.map(async (item) => write(item)));
  return results.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason as unknown] : []));
}

/** Throws, naming how many of a burst's writes (`what`, e.g. "pod creation(s)") failed and the first error. */
export function throwIfFailed(failed: readonly unknown[], what: string): void {
  if (failed.length > 0) throw new Error(`${failed.length} ${what} failed: ${errorMessage(failed[0])}`);
}

/**
 * How many pod creations a controller's next burst for an object may issue: `max` while they succeed,
 * one after a burst with a failure until one succeeds again, so that a template the API refuses or an
 * exhausted quota does not have a whole doomed burst sent again on every retry (Kubernetes' controllers
 * start each burst with one creation and double it, for the same reason; a full burst costs one commit
 * round trip where doubling costs eight).
 */
export class BurstLimit {
  readonly #failing = new Set<string>();

  constructor(private readonly max: number) {}

  /** The size of `key`'s next burst. */
  size(key: string): number {
    return this.#failing.has(key) ? 1 : this.max;
  }

  /** Records how `key`'s burst went (`failed`: how many of its writes failed). */
  record(key: string, failed: number): void {
    if (failed > 0) this.#failing.add(key);
    else this.#failing.delete(key);
  }

  /** Forgets `key` (its object is gone). */
  forget(key: string): void {
    this.#failing.delete(key);
  }
}

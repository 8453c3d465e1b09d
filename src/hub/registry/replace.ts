/** The registry's read-modify-write of an existing object (update, updateStatus): preconditions, retries, finalization. */
import {
  ConflictError,
  InvalidError,
  jsonEqual,
  NotFoundError,
  type KubeObject,
  type ResourceType,
} from '../../api/index.js';
import type { Store, StoredValue } from '../store/index.js';
import { awaitsNode } from './deletion.js';
import { objectKey } from './keys.js';
import { omit } from './omit.js';
import type { KindStrategy } from './strategies/index.js';
import { resourceName, storeError } from './store-errors.js';
import { checkPreconditions } from './update.js';
import { withResourceVersion } from './watch-filter.js';

/** A write is retried this often on a concurrent change (when the caller named no resourceVersion). */
export const UPDATE_RETRIES = 5;

/** What {@link replaceObject} writes through. */
export interface ReplaceDeps {
  store: Store;
  /** The kind's strategy. */
  strategy: KindStrategy;
  /**
   * The watch cache's current object at a key, if the cache holds that resource (it carries its
   * resourceVersion). Read-modify-write builds on it instead of reading the store when it is exactly
   * the version the caller named (see {@link replaceObject}).
   */
  cached?: (key: string) => KubeObject | undefined;
}

/**
 * The read-modify-write loop of update and updateStatus: a `metadata.resourceVersion` in the
 * input is a precondition; without one the write is retried on a concurrent change.
 *
 * When the input names a resourceVersion and the watch cache holds the object at exactly that version,
 * the first attempt builds on the cached object and skips the store read (Kubernetes' GuaranteedUpdate
 * with a cached "suggestion"). That is safe without any freshness check: the value at a revision never
 * changes, and the write is a compare-and-swap on that revision, so if the store has moved on the write
 * fails with the same conflict the precondition would have raised. Controllers and the node gateway
 * write from their informers with the resourceVersion they read: on a rollout, that was a store read and
 * a JSON parse for each of a pod's binding and status writes.
 */
export async function replaceObject<T extends KubeObject>(
  deps: ReplaceDeps,
  type: ResourceType,
  input: KubeObject,
  build: (cur: KubeObject) => Promise<KubeObject>,
  dryRun = false,
): Promise<T> {
  const name = input.metadata.name;
  if (!name)
    throw new InvalidError(type.kind, '', [
      { field: 'metadata.name', message: 'Required value', reason: 'FieldValueRequired' },
    ]);
  const namespace = type.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
  const key = objectKey(type, namespace, name);
  const wantRV = input.metadata.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    const sv = (attempt === 0 ? cachedAt(deps, key, wantRV) : undefined) ?? (await deps.store.get(key));
    if (!sv) throw new NotFoundError(resourceName(type), name);
    const cur = withResourceVersion<KubeObject>(sv.value, sv.modRevision);
    checkPreconditions(type, cur, input);
    const { strategy } = deps;
    try {
      return await strategy.exclusive(async () => {
        const next = await build(cur);
        if (jsonEqual(next, cur)) return cur as T;
        if (dryRun) return next as T;
        return writeNext<T>(deps.store, strategy, key, sv, next);
      });
    } catch (err) {
      if (err instanceof ConflictError && wantRV === undefined && attempt < UPDATE_RETRIES) continue;
      throw storeError(err, type, name);
    }
  }
}

/** The cached object at `key` as a store value, only if it is exactly at `resourceVersion`. */
function cachedAt(deps: ReplaceDeps, key: string, resourceVersion: string | undefined): StoredValue | undefined {
  if (resourceVersion === undefined || !deps.cached) return undefined;
  const obj = deps.cached(key);
  if (obj?.metadata.resourceVersion !== resourceVersion) return undefined;
  // Only `value` and `modRevision` are read here; the creation revision is not known to the cache.
  return { key, value: obj, modRevision: Number(resourceVersion), createRevision: 0 };
}

/** Writes `next`, or deletes it when its last finalizer went away during deletion. */
async function writeNext<T extends KubeObject>(
  store: Store,
  strategy: KindStrategy,
  key: string,
  sv: StoredValue,
  next: KubeObject,
): Promise<T> {
  const metadata = omit(next.metadata, 'resourceVersion');
  const stored = { ...next, metadata };
  const had = ((sv.value as KubeObject).metadata.finalizers ?? []).length > 0;
  const finalized =
    had &&
    metadata.deletionTimestamp !== undefined &&
    (metadata.finalizers ?? []).length === 0 &&
    !awaitsNode(strategy, next);
  if (finalized) {
    const rev = await store.delete(key, sv.modRevision);
    return withResourceVersion<T>(stored, rev);
  }
  return withResourceVersion<T>(stored, await store.update(key, stored, sv.modRevision));
}

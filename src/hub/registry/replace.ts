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
import { stampResourceVersion, withResourceVersion } from './watch-filter.js';

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
 * The first attempt builds on the watch cache's object when it holds one, instead of reading the store
 * (Kubernetes' GuaranteedUpdate with a cached "suggestion"). The write is a compare-and-swap on the
 * revision it built on, so a cached object the store has moved past fails with a conflict:
 * - When the input names a resourceVersion, the suggestion is used only at exactly that version: the
 *   value at a revision never changes, and a store that moved on fails the write with the same
 *   conflict the precondition would have raised. Controllers and the node gateway write from their
 *   informers with the resourceVersion they read: on a rollout, that was a store read and a JSON parse
 *   for each of a pod's binding and status writes.
 * - Without one (an Event's count, `kubectl edit`-style writes), the conflict is retried on a fresh
 *   read like any concurrent change.
 * - Either way, an update that changes nothing against the suggestion is checked against a fresh read
 *   before it is answered as a no-op (as Kubernetes does): the store may hold a newer object, which
 *   the write would change, or which makes the named version a conflict. Every such store read waited for the group commit in
 *   flight and held the next back (sqlite-store.ts): ~10 a second at 1,000 pods/s.
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
    const suggested = attempt === 0 && !(dryRun && wantRV === undefined) ? cachedAt(deps, key, wantRV) : undefined;
    const sv = suggested ?? (await deps.store.get(key));
    if (!sv) throw new NotFoundError(resourceName(type), name);
    // A suggestion at the version the caller named is as good as a read; any other may be behind.
    const current = suggested === undefined || wantRV !== undefined;
    // A suggestion is the cache's object, which carries its resourceVersion (and is never changed:
    // `build` makes a new object); a store read gets it in a copy.
    const cur =
      suggested !== undefined ? (sv.value as KubeObject) : withResourceVersion<KubeObject>(sv.value, sv.modRevision);
    try {
      checkPreconditions(type, cur, input);
    } catch (err) {
      // Judged against a suggestion that may be behind (a uid since replaced): judge it on a fresh read.
      if (!current) continue;
      throw err;
    }
    const { strategy } = deps;
    try {
      const done = await strategy.exclusive(async (): Promise<T | typeof RECHECK> => {
        const next = await build(cur);
        // A no-op is answered from a store read only: built on a suggestion, even at the named version,
        // it would answer 200 where the store has moved on and Kubernetes answers 409.
        if (jsonEqual(next, cur)) return suggested === undefined ? (cur as T) : RECHECK;
        if (dryRun) return next as T;
        return writeNext<T>(deps.store, strategy, key, sv, next);
      });
      if (done !== RECHECK) return done;
    } catch (err) {
      // Built on a suggestion that may be behind: whatever it failed with, judge it on a fresh read.
      if (!current) continue;
      if (err instanceof ConflictError && wantRV === undefined && attempt < UPDATE_RETRIES) continue;
      throw storeError(err, type, name);
    }
  }
}

/** A no-op against a cached suggestion: read the store and build again. */
const RECHECK = Symbol('recheck');

/**
 * The cached object at `key` as a store value: at exactly `resourceVersion` when one is named, else
 * whatever version the cache holds.
 */
function cachedAt(deps: ReplaceDeps, key: string, resourceVersion: string | undefined): StoredValue | undefined {
  if (!deps.cached) return undefined;
  const obj = deps.cached(key);
  if (obj?.metadata.resourceVersion === undefined) return undefined;
  if (resourceVersion !== undefined && obj.metadata.resourceVersion !== resourceVersion) return undefined;
  // Only `value` and `modRevision` are read here; the creation revision is not known to the cache.
  return { key, value: obj, modRevision: Number(obj.metadata.resourceVersion), createRevision: 0 };
}

/** Writes `next`, or deletes it when its last finalizer went away during deletion. */
async function writeNext<T extends KubeObject>(
  store: Store,
  strategy: KindStrategy,
  key: string,
  sv: StoredValue,
  next: KubeObject,
): Promise<T> {
  // The stored object and its metadata are made here, so the answer is this object, stamped in place.
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
    return stampResourceVersion<T>(stored, rev);
  }
  return stampResourceVersion<T>(stored, await store.update(key, stored, sv.modRevision));
}

/**
 * Deletion semantics: graceful deletion of what a node must confirm stopped (a bound pod, as its
 * kind's strategy says), finalizers, orphaning of dependents and preconditions. Garbage collection
 * of dependents (Background/Foreground) is the garbage collector's job, not the registry's.
 */
import {
  ConflictError,
  RESOURCE_TYPES,
  rfc3339,
  type Clock,
  type KubeObject,
  type Logger,
  type ObjectMeta,
  type ResourceType,
} from '../../api/index.js';
import type { Store, StoredValue } from '../store/index.js';
import { collectionPrefix } from './keys.js';
import { omit } from './omit.js';
import type { KindStrategy, StrategyFor } from './strategies/strategy.js';
import { resourceName } from './store-errors.js';
import type { DeleteOptions } from './types.js';
import { withResourceVersion } from './watch-filter.js';

/** What deletion needs. */
export interface DeletionDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The kinds' rules (which objects a node must confirm deleted). */
  strategyFor: StrategyFor;
}

const ORPHAN_RETRIES = 5;

/** True for a terminating object (a bound pod) whose node has not yet confirmed it stopped. */
export function awaitsNode(strategy: KindStrategy, obj: KubeObject): boolean {
  return (
    strategy.nodeGraceSeconds(obj) !== undefined &&
    obj.metadata.deletionTimestamp !== undefined &&
    obj.metadata.deletionGracePeriodSeconds !== 0
  );
}

/** Deletes (or starts deleting) the stored object `sv` of kind `type`; returns it as left or as it was. */
export async function deleteObject(
  deps: DeletionDeps,
  type: ResourceType,
  sv: StoredValue,
  opts: DeleteOptions,
): Promise<KubeObject> {
  const cur = withResourceVersion<KubeObject>(sv.value, sv.modRevision);
  const meta = cur.metadata;
  const pre = opts.preconditions;
  const failed =
    pre?.uid !== undefined && pre.uid !== meta.uid
      ? `UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`
      : pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion
        ? `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`
        : undefined;
  if (failed)
    throw new ConflictError(`Precondition failed for ${resourceName(type)} "${meta.name}": ${failed}`, {
      kind: resourceName(type),
      name: meta.name ?? '',
    });
  if (opts.propagationPolicy === 'Orphan') await orphanDependents(deps, type, cur);

  const finalizers = meta.finalizers ?? [];
  const grace = opts.gracePeriodSeconds;
  const mark = async (deletionTimestamp: string, deletionGracePeriodSeconds: number): Promise<KubeObject> => {
    const metadata: ObjectMeta = { ...omit(meta, 'resourceVersion'), deletionTimestamp, deletionGracePeriodSeconds };
    const rev = await deps.store.update(sv.key, { ...cur, metadata }, sv.modRevision);
    return withResourceVersion<KubeObject>({ ...cur, metadata }, rev);
  };
  const remove = async (): Promise<KubeObject> => {
    await deps.store.delete(sv.key, sv.modRevision);
    return cur;
  };

  if (meta.deletionTimestamp !== undefined) {
    // Already terminating: only a forced (grace 0) delete changes anything.
    if (grace !== 0) return cur;
    if (finalizers.length === 0) return remove();
    return meta.deletionGracePeriodSeconds === 0 ? cur : mark(meta.deletionTimestamp, 0);
  }
  const nodeGrace = deps.strategyFor(type.kind).nodeGraceSeconds(cur);
  if (nodeGrace !== undefined && grace !== 0) {
    const seconds = grace ?? nodeGrace;
    return mark(rfc3339(deps.clock.now() + seconds * 1000), seconds);
  }
  if (finalizers.length > 0) return mark(rfc3339(deps.clock.now()), 0);
  return remove();
}

/**
 * Deletes everything in namespace `ns` (bound pods gracefully: they stay until their node confirms,
 * which needs no namespace). The caller then removes the Namespace itself, so nothing new can be
 * created in it meanwhile.
 */
export async function deleteNamespaceContents(deps: DeletionDeps, ns: string): Promise<void> {
  for (const t of RESOURCE_TYPES) {
    if (!t.namespaced) continue;
    for (const sv of (await deps.store.list(collectionPrefix(t, ns))).items) {
      try {
        await deleteObject(deps, t, sv, {});
      } catch (err) {
        // Changed or deleted concurrently: whoever did it owns the object's fate now.
        deps.logger.debug({ err, key: sv.key }, 'namespace cleanup skipped an object');
      }
    }
  }
}

/** Removes owner references to `owner` from its dependents (same namespace, or all for a cluster-scoped owner). */
async function orphanDependents(deps: DeletionDeps, type: ResourceType, owner: KubeObject): Promise<void> {
  const uid = owner.metadata.uid;
  if (uid === undefined) return;
  for (const t of RESOURCE_TYPES) {
    if (type.namespaced && !t.namespaced) continue;
    const { items } = await deps.store.list(
      collectionPrefix(t, type.namespaced ? owner.metadata.namespace : undefined),
    );
    for (const item of items) {
      if (!((item.value as KubeObject).metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
      await orphanOne(deps, item, uid);
    }
  }
}

async function orphanOne(deps: DeletionDeps, first: StoredValue, ownerUid: string): Promise<void> {
  let sv: StoredValue | undefined = first;
  for (let attempt = 0; sv && attempt < ORPHAN_RETRIES; attempt++) {
    const obj = sv.value as KubeObject;
    const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    const rest = omit(obj.metadata, 'ownerReferences');
    const metadata: ObjectMeta = refs.length > 0 ? { ...rest, ownerReferences: refs } : rest;
    try {
      await deps.store.update(sv.key, { ...obj, metadata }, sv.modRevision);
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      sv = await deps.store.get(sv.key);
    }
  }
  deps.logger.warn({ key: first.key }, 'could not orphan dependent after retries');
}

/**
 * The writes of the node lifecycle controller that concern one node's objects: its Ready condition
 * and heartbeat time, its unreachable taint and its pods' readiness, and the phase that spreads nodes'
 * status refreshes.
 */
import type { Node, Pod } from '../../api/index.js';
import { ConflictError, NotFoundError, nodeReadyStatus, rfc3339, typeByKind } from '../../api/index.js';
import { BY_NODE_NAME, type Informer } from '../informers/index.js';
import { jsonEqual, setCondition } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { NOT_READY_TAINT, UNREACHABLE_TAINT } from './taint-manager.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;

/** A stable phase in [0, 1) per node name, so each node's status refresh falls at its own time. */
export function phaseOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  // FNV-1a, then murmur3's finalizer: names differing in a last digit must land far apart.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The reason on the Ready condition of a pod marked not Ready because its node was not. */
export const NODE_NOT_READY = 'NodeNotReady';

/**
 * Marks the pods of node `name` not Ready (they leave endpoints at once); `now` is RFC 3339. It stops
 * once the node is Ready again: its report on its way back was read against pods not marked yet, so a
 * later mark would stand until its next report (a hub under load marks a node's pods one write at a time).
 */
export async function markPodsNotReady(
  api: ObjectAPI,
  pods: Informer<Pod>,
  nodes: Informer<Node>,
  name: string,
  now: string,
): Promise<void> {
  for (const pod of pods.byIndex(BY_NODE_NAME, name).filter((p) => !p.metadata.deletionTimestamp)) {
    const node = nodes.get(undefined, name);
    if (node && nodeReadyStatus(node) === 'True') return;
    const conds = setCondition(
      setCondition(
        pod.status?.conditions,
        { type: 'Ready', status: 'False', reason: NODE_NOT_READY, message: `node ${name} is not ready` },
        now,
      ),
      { type: 'ContainersReady', status: 'False', reason: NODE_NOT_READY },
      now,
    );
    const containerStatuses = pod.status?.containerStatuses?.map((c) => ({ ...c, ready: false }));
    try {
      const updated = await api.updateStatus<Pod>(POD, {
        ...pod,
        status: { ...(pod.status ?? {}), conditions: conds, ...(containerStatuses ? { containerStatuses } : {}) },
      });
      pods.observe(updated);
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
    }
  }
}

/** Adds or removes the `node.kubernetes.io/unreachable:NoExecute` taint (stamped `nowMs`). */
export async function setUnreachableTaint(
  api: ObjectAPI,
  nodes: Informer<Node>,
  node: Node,
  on: boolean,
  nowMs: number,
): Promise<Node> {
  const taints = node.spec?.taints ?? [];
  const has = taints.some((t) => t.key === UNREACHABLE_TAINT);
  if (has === on) return node;
  const next = on
    ? [...taints, { key: UNREACHABLE_TAINT, effect: 'NoExecute' as const, timeAdded: rfc3339(nowMs) }]
    : taints.filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
  try {
    const updated = await api.update<Node>(NODE, { ...node, spec: { ...(node.spec ?? {}), taints: next } });
    nodes.observe(updated);
    return updated;
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) return node;
    throw err;
  }
}

/** The node's Ready condition as {@link writeReady} sets it (`now`: RFC 3339, its transition time). */
export interface ReadyCondition {
  status: 'True' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  now: string;
}

/**
 * Writes the node's Ready condition (status subresource) and feeds the answer to the informer. With
 * `reported` (what the node's hello reported, conditions aside), the write also replaces the rest of
 * the status with it: one write for both.
 */
export function writeReady(
  api: ObjectAPI,
  nodes: Informer<Node>,
  node: Node,
  ready: ReadyCondition,
  reported?: ReportedStatus,
): Promise<Node> {
  const { now, ...fields } = ready;
  const conditions = setCondition(node.status?.conditions, { type: 'Ready', ...fields }, now);
  return writeConditions(api, nodes, node, conditions, reported);
}

/** The node's status as its hello reports it: everything but the conditions, which the hub keeps. */
export type ReportedStatus = Omit<NonNullable<Node['status']>, 'conditions'>;

/** True when the Node's status already says what `reported` does (its conditions aside). */
export function statusSays(node: Node, reported: ReportedStatus): boolean {
  const status = node.status;
  return (
    status !== undefined && jsonEqual({ ...status, conditions: undefined }, { ...reported, conditions: undefined })
  );
}

/** Writes what the node reported as its status, keeping the Node's conditions. */
export function writeReported(
  api: ObjectAPI,
  nodes: Informer<Node>,
  node: Node,
  reported: ReportedStatus,
): Promise<Node> {
  return writeConditions(api, nodes, node, node.status?.conditions ?? [], reported);
}

/** Writes `stamp` (RFC 3339) as the Ready condition's last heartbeat time. */
export function writeHeartbeat(api: ObjectAPI, nodes: Informer<Node>, node: Node, stamp: string): Promise<Node> {
  const conditions = (node.status?.conditions ?? []).map((c) =>
    c.type === 'Ready' ? { ...c, lastHeartbeatTime: stamp } : c,
  );
  return writeConditions(api, nodes, node, conditions);
}

async function writeConditions(
  api: ObjectAPI,
  nodes: Informer<Node>,
  node: Node,
  conditions: NonNullable<Node['status']>['conditions'],
  reported?: ReportedStatus,
): Promise<Node> {
  const status = { ...(reported ?? node.status ?? {}), conditions };
  const updated = await api.updateStatus<Node>(NODE, { ...node, status });
  nodes.observe(updated);
  return updated;
}

/** A sweep write that lost to another writer or to the Node's deletion: none made (the next look retries). */
export function lostRace(err: unknown): undefined {
  if (err instanceof ConflictError || err instanceof NotFoundError) return undefined;
  throw err;
}

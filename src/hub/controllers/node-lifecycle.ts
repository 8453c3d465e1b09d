/**
 * Node lifecycle: a node whose heartbeats stop for `gracePeriodSeconds` is marked `Ready=Unknown`
 * and its pods not Ready (they leave endpoints at once); after `evictionTimeoutSeconds` more (or a
 * pod's own toleration of `node.kubernetes.io/unreachable`) its pods are deleted so their controllers
 * replace them elsewhere. Heartbeats are kept in memory (reported by the gateway); the Node object is
 * written on transitions and every `statusRefreshSeconds`.
 */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import { ConflictError, NotFoundError, nodeReadyStatus, rfc3339, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { PeriodicSweep, setCondition, type EventRecorder } from '../reconcile/index.js';
import { NOT_READY_TAINT, TaintManager, UNREACHABLE_TAINT } from './taint-manager.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;

export interface NodeLifecycleOptions {
  gracePeriodSeconds: number;
  evictionTimeoutSeconds: number;
  statusRefreshSeconds?: number;
  tickMs?: number;
}

export interface NodeLifecycleDeps extends NodeLifecycleOptions {
  api: ObjectAPI;
  nodes: Informer<Node>;
  pods: Informer<Pod>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
}

export class NodeLifecycleController {
  private readonly lastSeen = new Map<string, number>();
  /** Nodes with a live gateway session. */
  private readonly connected = new Set<string>();
  private readonly lastWritten = new Map<string, number>();
  private readonly startedAt: number;
  private readonly sweeper: PeriodicSweep<void>;
  private readonly taints: TaintManager;

  constructor(private readonly deps: NodeLifecycleDeps) {
    this.startedAt = deps.clock.now();
    this.taints = new TaintManager(deps);
    this.sweeper = new PeriodicSweep({
      run: () => this.tick(),
      intervalMs: deps.tickMs ?? 1000,
      logger: deps.logger,
      failureMessage: 'node lifecycle tick failed',
    });
  }

  /** Starts checking every node once per tick. */
  start(): void {
    this.sweeper.start();
  }

  /** Stops ticking; resolves once a tick under way has ended. */
  stop(): Promise<void> {
    return this.sweeper.stop();
  }

  /** Records a sign of life from `node` (hello or heartbeat). */
  heartbeat(node: string): void {
    this.lastSeen.set(node, this.deps.clock.now());
    this.connected.add(node);
  }

  /** Records that the node's session closed (heartbeats stop counting from now). */
  disconnected(node: string): void {
    this.connected.delete(node);
    this.lastSeen.set(node, Math.min(this.lastSeen.get(node) ?? this.deps.clock.now(), this.deps.clock.now()));
  }

  /** Marks a node Ready with fresh status (called by the gateway on hello) and lifts the unreachable taint. */
  async markReady(node: Node): Promise<Node> {
    this.heartbeat(node.metadata.name ?? '');
    node = await this.setUnreachableTaint(node, false);
    const now = rfc3339(this.deps.clock.now());
    const conditions = setCondition(
      node.status?.conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'edge-node is posting ready status',
        lastHeartbeatTime: now,
      },
      now,
    );
    const updated = await this.deps.api.updateStatus<Node>(NODE, {
      ...node,
      status: { ...(node.status ?? {}), conditions },
    });
    this.deps.nodes.observe(updated);
    this.lastWritten.set(node.metadata.name ?? '', this.deps.clock.now());
    if (nodeReadyStatus(node) !== 'True')
      this.deps.events.normal(updated, 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`);
    return updated;
  }

  /** One pass over every node (never two at once: the sweep joins a tick under way). */
  private async tick(): Promise<void> {
    for (const node of this.deps.nodes.list()) await this.check(node);
  }

  private async check(node: Node): Promise<void> {
    const name = node.metadata.name ?? '';
    const now = this.deps.clock.now();
    // After a hub restart every node gets a full grace period to reconnect.
    const seen = this.lastSeen.get(name) ?? this.startedAt;
    const silentMs = now - seen;
    const ready = nodeReadyStatus(node);
    if (ready === 'True' && silentMs > this.deps.gracePeriodSeconds * 1000) {
      await this.markUnknown(node, now);
      return;
    }
    if (ready === 'True') {
      const refresh = (this.deps.statusRefreshSeconds ?? 30) * 1000;
      if (now - (this.lastWritten.get(name) ?? 0) >= refresh) await this.refreshHeartbeat(node, seen);
      if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) await this.taints.evictPods(node, now);
      return;
    }
    if (this.connected.has(name) && silentMs <= this.deps.gracePeriodSeconds * 1000) {
      // Heartbeats resumed on a live session (the node was only slow): Ready again.
      await this.markReady(node);
      return;
    }
    // Pods on a node with NoExecute taints (unreachable, or put there by hand) go, as their tolerations allow.
    if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) await this.taints.evictPods(node, now);
  }

  private async refreshHeartbeat(node: Node, seen: number): Promise<void> {
    const stamp = rfc3339(seen);
    const conditions = (node.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' ? { ...c, lastHeartbeatTime: stamp } : c,
    );
    try {
      const updated = await this.deps.api.updateStatus<Node>(NODE, {
        ...node,
        status: { ...(node.status ?? {}), conditions },
      });
      this.deps.nodes.observe(updated);
      this.lastWritten.set(node.metadata.name ?? '', this.deps.clock.now());
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
    }
  }

  private async markUnknown(node: Node, nowMs: number): Promise<void> {
    const now = rfc3339(nowMs);
    const name = node.metadata.name ?? '';
    const conditions = setCondition(
      node.status?.conditions,
      {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'edge-node stopped posting node status.',
        lastHeartbeatTime: rfc3339(this.lastSeen.get(name) ?? nowMs),
      },
      now,
    );
    try {
      const updated = await this.deps.api.updateStatus<Node>(NODE, {
        ...node,
        status: { ...(node.status ?? {}), conditions },
      });
      this.deps.nodes.observe(updated);
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) return;
      throw err;
    }
    this.deps.events.warning(
      node,
      'NodeNotReady',
      `Node ${name} status is now: NodeNotReady (no heartbeat for ${this.deps.gracePeriodSeconds}s)`,
    );
    const latest = this.deps.nodes.get(undefined, name);
    if (latest) await this.setUnreachableTaint(latest, true);
    // Its pods can no longer be trusted to serve: take them out of endpoints now.
    for (const pod of this.deps.pods.list((p) => p.spec.nodeName === name && !p.metadata.deletionTimestamp)) {
      const conds = setCondition(
        setCondition(
          pod.status?.conditions,
          { type: 'Ready', status: 'False', reason: 'NodeNotReady', message: `node ${name} is not ready` },
          now,
        ),
        { type: 'ContainersReady', status: 'False', reason: 'NodeNotReady' },
        now,
      );
      const containerStatuses = pod.status?.containerStatuses?.map((c) => ({ ...c, ready: false }));
      try {
        const updated = await this.deps.api.updateStatus<Pod>(POD, {
          ...pod,
          status: { ...(pod.status ?? {}), conditions: conds, ...(containerStatuses ? { containerStatuses } : {}) },
        });
        this.deps.pods.observe(updated);
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
      }
    }
  }

  /** Adds or removes the `node.kubernetes.io/unreachable:NoExecute` taint. */
  private async setUnreachableTaint(node: Node, on: boolean): Promise<Node> {
    const taints = node.spec?.taints ?? [];
    const has = taints.some((t) => t.key === UNREACHABLE_TAINT);
    if (has === on) return node;
    const next = on
      ? [...taints, { key: UNREACHABLE_TAINT, effect: 'NoExecute' as const, timeAdded: rfc3339(this.deps.clock.now()) }]
      : taints.filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
    try {
      const updated = await this.deps.api.update<Node>(NODE, { ...node, spec: { ...(node.spec ?? {}), taints: next } });
      this.deps.nodes.observe(updated);
      return updated;
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) return node;
      throw err;
    }
  }
}

/**
 * Node lifecycle: a node whose heartbeats stop for `gracePeriodSeconds` is marked `Ready=Unknown`
 * and its pods not Ready (they leave endpoints at once); after `evictionTimeoutSeconds` more (or a
 * pod's own toleration of `node.kubernetes.io/unreachable`) its pods are deleted so their controllers
 * replace them elsewhere.
 *
 * At fleet scale (as Kubernetes' node lifecycle controller with Leases):
 * - heartbeats are held in memory (reported by the gateway), never written one by one; the Node is
 *   written on transitions and every `statusRefreshSeconds` (default 60 s), each node at its own
 *   phase of that interval so the refreshes of thousands of nodes are spread, not bunched;
 * - after a hub (re)start every node gets the grace period from the start to come back, and no pod is
 *   evicted for unreachability before start + grace: the hub being down is not the nodes' fault;
 * - mass disruption: while at least `unhealthyThreshold` (55%) of the nodes are not Ready (a network
 *   cut, a hub outage seen from the other side), evictions stop, since moving every pod onto the few
 *   nodes left would only make things worse;
 * - one tick checks every node in memory, in chunks that yield to the event loop; only nodes whose
 *   state changed are written.
 */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import { ConflictError, NotFoundError, nodeReadyStatus, rfc3339, typeByKind } from '../../api/index.js';
import { BY_NODE_NAME, nodeNameOf, type Informer } from '../informers/index.js';
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
  /** Fraction of nodes not Ready at or above which no pod is evicted (default 0.55, as Kubernetes). */
  unhealthyThreshold?: number;
}

/** Nodes checked per turn of the event loop in one tick. */
const TICK_CHUNK = 500;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A stable phase in [0, 1) per node name, so each node's status refresh falls at its own time. */
function phaseOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  // FNV-1a, then murmur3's finalizer: names differing in a last digit must land far apart.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
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
  /** Whether evictions are held because too many nodes are not Ready (logged on change). */
  private disrupted = false;

  constructor(private readonly deps: NodeLifecycleDeps) {
    deps.pods.addIndex(BY_NODE_NAME, nodeNameOf);
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
    // Already Ready and untainted (a reconnect, a hub restart): nothing to write; the refresh keeps the time.
    const tainted = (node.spec?.taints ?? []).some((t) => t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT);
    if (nodeReadyStatus(node) === 'True' && !tainted) return node;
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
    const nodes = this.deps.nodes.list();
    let notReady = 0;
    // A node still registering (no Ready condition yet) is not a failure; Unknown and False are.
    for (const n of nodes)
      if (n.status?.conditions?.some((c) => c.type === 'Ready') && nodeReadyStatus(n) !== 'True') notReady++;
    this.setDisrupted(
      nodes.length > 0 && notReady / nodes.length >= (this.deps.unhealthyThreshold ?? 0.55),
      notReady,
      nodes.length,
    );
    for (let i = 0; i < nodes.length; i++) {
      if (i > 0 && i % TICK_CHUNK === 0) await yieldToLoop();
      await this.check(nodes[i]!);
    }
  }

  private setDisrupted(on: boolean, notReady: number, total: number): void {
    if (on === this.disrupted) return;
    this.disrupted = on;
    if (on)
      this.deps.logger.warn(
        { notReady, total },
        'most nodes are not Ready (a partition or an outage): pod evictions are held until they come back',
      );
    else this.deps.logger.info({ notReady, total }, 'nodes are back: pod evictions resume');
  }

  /** Evicts pods of a NoExecute-tainted node, unless evictions are held (mass disruption). */
  private async evict(node: Node, now: number): Promise<void> {
    if (this.disrupted) return;
    // Unreachability counts only from when this hub could have heard the node: start + grace.
    await this.taints.evictPods(node, now, this.startedAt + this.deps.gracePeriodSeconds * 1000);
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
      const refresh = (this.deps.statusRefreshSeconds ?? 60) * 1000;
      // Never written by this process yet: due at the node's own phase of the interval after the start.
      const written = this.lastWritten.get(name) ?? this.startedAt - refresh * phaseOf(name);
      if (now - written >= refresh && this.connected.has(name)) await this.refreshHeartbeat(node, seen);
      if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) await this.evict(node, now);
      return;
    }
    if (this.connected.has(name) && silentMs <= this.deps.gracePeriodSeconds * 1000) {
      // Heartbeats resumed on a live session (the node was only slow): Ready again.
      await this.markReady(node);
      return;
    }
    // Pods on a node with NoExecute taints (unreachable, or put there by hand) go, as their tolerations allow.
    if ((node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) await this.evict(node, now);
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
    for (const pod of this.deps.pods.byIndex(BY_NODE_NAME, name).filter((p) => !p.metadata.deletionTimestamp)) {
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

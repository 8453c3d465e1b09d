/**
 * Node lifecycle: a node whose heartbeats stop for `gracePeriodSeconds` is marked `Ready=Unknown`
 * and its pods not Ready (they leave endpoints at once); after `evictionTimeoutSeconds` more (or a
 * pod's own toleration of `node.kubernetes.io/unreachable`) its pods are deleted so their controllers
 * replace them elsewhere.
 *
 * At fleet scale (as Kubernetes' node lifecycle controller with Leases):
 * - heartbeats are held in memory (reported by the gateway), never written one by one; the Node is
 *   written on transitions and every `statusRefreshSeconds` (default 300 s, kubelet's status report
 *   frequency; only observers read it), each node at its own phase so thousands of refreshes are spread;
 * - a fleet past the gateway's heartbeat budget beats more slowly, and the grace period grows with its
 *   interval (`graceScale`, from `gateway/heartbeat-pace.ts`);
 * - after a hub (re)start every node gets the grace period from when the hub listens, or from later while
 *   it is still behind on the returning fleet's handshakes (`startup-catch-up.ts`), and no pod is evicted
 *   for unreachability before that + grace: the hub being down, or deaf, is not the nodes' fault;
 * - so is a stall of the hub's own event loop (deaf-spans.ts): the nodes' heartbeats wait in its
 *   sockets meanwhile, and a tick may run before they are read. A node's silence leaves the stall out
 *   for a grace period after it, and no pod is evicted for unreachability before its end + grace;
 * - a node that proved itself while admission made it wait (a verified client certificate, queued or
 *   told `Busy`) is alive, not silent (`node-liveness.ts`), and a node not Ready that is so coming back
 *   keeps its pods until it is in;
 * - evictions are rate limited per zone as Kubernetes does (zone-eviction.ts): 0.1 nodes/s in a healthy
 *   zone, slower or none in a zone where most nodes are not Ready, none when every zone is down (the
 *   hub's own network is the likely cause), since moving every pod onto the few nodes left would only
 *   make things worse;
 * - deadline-indexed: each node has one time at which it must next be looked at (silence past the
 *   grace period, its status refresh, a pod's eviction), and a tick looks only at the nodes due — O(due),
 *   not O(nodes) per second. A node's change or a heartbeat of a node not Ready makes it due at once.
 */
import type { Node } from '../../api/index.js';
import { nodeReadyStatus, rfc3339, typeByKind } from '../../api/index.js';
import { BY_NODE_NAME, nodeNameOf } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { PeriodicSweep } from '../reconcile/index.js';
import { DeadlineQueue } from './deadline-queue.js';
import { DeafSpans } from './deaf-spans.js';
import { GracePeriod } from './grace-period.js';
import { NodeLiveness } from './node-liveness.js';
import {
  lostRace,
  markPodsNotReady,
  phaseOf,
  setUnreachableTaint,
  statusSays,
  writeHeartbeat,
  writeReady,
  writeReported,
  type ReportedStatus,
} from './node-status.js';
import { NOT_READY_TAINT, TaintManager, UNREACHABLE_TAINT } from './taint-manager.js';
import { retryOnConflict } from './util.js';
import { StartupCatchUp } from './startup-catch-up.js';
import { ZoneEvictionLimiter, zoneOf } from './zone-eviction.js';
import { DEFAULT_STATUS_REFRESH_SECONDS, type NodeLifecycleDeps } from './node-lifecycle-deps.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export type { NodeLifecycleDeps, NodeLifecycleOptions } from './node-lifecycle-deps.js';

/** Nodes checked per turn of the event loop in one tick. */
const TICK_CHUNK = 500;

const NODE = typeByKind('v1', 'Node')!;
const hasNoExecute = (n: Node): boolean => (n.spec?.taints ?? []).some((t) => t.effect === 'NoExecute');

/** Marks silent nodes Unknown and evicts their pods (see the file comment); the gateway reports signs of life. */
export class NodeLifecycleController {
  /** Heartbeats and other signs of life, per node. */
  private readonly liveness = new NodeLiveness();
  private readonly lastWritten = new Map<string, number>();
  /** From when nodes could reach this hub and it could hear them: the grace after a start counts from it. */
  private readonly catchUp: StartupCatchUp;
  private readonly sweeper: PeriodicSweep<void>;
  private readonly taints: TaintManager;
  /** What the sweep writes through (see `NodeLifecycleDeps.sweepApi`). */
  private readonly sweepApi: ObjectAPI;
  private readonly limiter: ZoneEvictionLimiter;
  /** When each node must next be looked at. */
  private readonly due = new DeadlineQueue();
  /** Nodes not Ready whose pods the zone's rate limit let go (until the node is Ready again). */
  private readonly evicting = new Set<string>();
  /** Nodes not Ready with pods due that their zone's rate limit refused (so far). */
  private readonly held = new Set<string>();
  /** The grace period, scaled by the heartbeat pace. */
  private readonly grace: GracePeriod;
  /** When this hub's own event loop stood still: no node's silence (deaf-spans.ts). */
  private readonly deaf: DeafSpans;

  constructor(private readonly deps: NodeLifecycleDeps) {
    deps.pods.addIndex(BY_NODE_NAME, nodeNameOf);
    this.catchUp = new StartupCatchUp(deps.clock.now(), (deps.startupCatchUpSeconds ?? 120) * 1000);
    this.sweepApi = deps.sweepApi ?? deps.api;
    this.grace = new GracePeriod(deps.gracePeriodSeconds, deps.graceScale);
    this.deaf = new DeafSpans({ clock: deps.clock, monotonic: deps.monotonic });
    this.taints = new TaintManager({ ...deps, api: this.sweepApi });
    // A zone changing state changes rates: nodes refused a token look again at once.
    this.limiter = new ZoneEvictionLimiter(deps, deps.clock, deps.logger, () => {
      for (const name of this.held) this.due.schedule(name, deps.clock.now());
    });
    const changed = (old: Node | undefined, cur: Node | undefined): void => {
      this.limiter.nodeChanged(old, cur);
      const name = (cur ?? old)?.metadata.name ?? '';
      if (!cur) {
        this.due.remove(name);
        this.liveness.forget(name);
        this.evicting.delete(name);
        this.held.delete(name);
      } else this.due.schedule(name, deps.clock.now());
    };
    for (const n of deps.nodes.list()) changed(undefined, n);
    deps.nodes.addHandler({
      onAdd: (n) => changed(undefined, n),
      onUpdate: (o, n) => changed(o, n),
      onDelete: (n) => changed(n, undefined),
    });
    this.sweeper = new PeriodicSweep({
      run: () => this.tick(),
      intervalMs: deps.tickMs ?? 1000,
      logger: deps.logger,
      failureMessage: 'node lifecycle tick failed',
    });
  }

  /** Starts checking every node once per tick. */
  start(): void {
    this.deaf.start();
    this.sweeper.start();
  }

  /** The hub listens: nodes not heard from yet get their grace from now, or later while it is `behind`. */
  accepting(behind?: () => boolean): void {
    this.catchUp.accepting(this.deps.clock.now(), behind);
  }

  /** Stops ticking; resolves once a tick under way has ended. */
  stop(): Promise<void> {
    this.deaf.stop();
    return this.sweeper.stop();
  }

  /** Records a sign of life from `node` (hello or heartbeat). */
  heartbeat(node: string): void {
    const now = this.deps.clock.now();
    this.liveness.heartbeat(node, now);
    // A Ready node's pending deadline finds it alive and moves on; one not Ready may be Ready again.
    const n = this.deps.nodes.get(undefined, node);
    if (!n || nodeReadyStatus(n) !== 'True') this.due.schedule(node, now);
  }

  /** Records that the node's session closed (heartbeats stop counting from now). */
  disconnected(node: string): void {
    this.liveness.disconnected(node, this.deps.clock.now());
  }

  /**
   * A dial of `node` whose client certificate was verified (the gateway's admission told it `Busy`):
   * it is alive, and its silence is excused until `backInMs` from now, when it was told to come back.
   * Never call it for an unauthenticated (token) hello: nothing proved which node that was.
   */
  sighted(node: string, backInMs = 0): void {
    this.liveness.sighted(node, this.deps.clock.now(), backInMs);
  }

  /**
   * A certified session of `node` waits in admission's queue: the node counts as heard from while
   * `isOpen()`. Call the returned function when it leaves the queue (admitted or not).
   */
  awaitingAdmission(node: string, isOpen: () => boolean): () => void {
    return this.liveness.awaiting(node, isOpen, () => this.deps.clock.now());
  }

  /**
   * Marks a node Ready with fresh status (called by the gateway on hello, with the status the hello
   * `reported`) and lifts the unreachable taint; a write that lost a race (the sweep, in a reconnect
   * storm) is retried on a fresh read. The reported status and the Ready condition go in one write.
   */
  markReady(node: Node, reported?: ReportedStatus): Promise<Node> {
    // The hello is a sign of life when it came: not again at a retry's later instant, which would
    // stretch the node's allowance of silence by however long the retry's fresh read took.
    this.heartbeat(node.metadata.name ?? '');
    return this.readyAgain(node, reported);
  }

  /** Writes the node Ready, untainted, retried on a fresh read after a conflict. No sign of life. */
  private readyAgain(node: Node, reported?: ReportedStatus): Promise<Node> {
    const fresh = (): Promise<Node> => this.deps.api.get<Node>(NODE, undefined, node.metadata.name ?? '');
    return retryOnConflict(async (again) => this.markReadyOnce(again ? await fresh() : node, reported));
  }

  private async markReadyOnce(node: Node, reported: ReportedStatus | undefined): Promise<Node> {
    this.evicting.delete(node.metadata.name ?? '');
    this.held.delete(node.metadata.name ?? '');
    const tainted = (node.spec?.taints ?? []).some((t) => t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT);
    const stale = reported !== undefined && !statusSays(node, reported);
    if (nodeReadyStatus(node) === 'True' && !tainted) {
      // Already Ready and untainted (a reconnect, a hub restart): a write only if the report changed.
      return stale ? writeReported(this.deps.api, this.deps.nodes, node, reported) : node;
    }
    node = await this.setUnreachableTaint(node, false);
    const now = rfc3339(this.deps.clock.now());
    const ready = {
      status: 'True' as const,
      reason: 'KubeletReady',
      message: 'edge-node is posting ready status',
      lastHeartbeatTime: now,
      now,
    };
    const updated = await writeReady(this.deps.api, this.deps.nodes, node, ready, stale ? reported : undefined);
    this.lastWritten.set(node.metadata.name ?? '', this.deps.clock.now());
    if (nodeReadyStatus(node) !== 'True')
      this.deps.events.normal(updated, 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`);
    return updated;
  }

  /** Looks at the nodes due (never two ticks at once: the sweep joins a tick under way). */
  private async tick(): Promise<void> {
    const now = this.deps.clock.now();
    this.catchUp.observe(now);
    // The grace period shrank (the heartbeat pace came back): deadlines set under the longer one are late.
    if (this.grace.shrank()) for (const n of this.deps.nodes.list()) this.due.schedule(n.metadata.name ?? '', now);
    const names = this.due.popDue(now);
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % TICK_CHUNK === 0) await yieldToLoop();
      const node = this.deps.nodes.get(undefined, names[i]!);
      if (!node) continue;
      try {
        await this.check(node);
      } finally {
        this.scheduleNext(names[i]!);
      }
    }
  }

  /** When the node must next be looked at, from what the cache now says of it. */
  private scheduleNext(name: string): void {
    const node = this.deps.nodes.get(undefined, name);
    if (!node) return;
    const now = this.deps.clock.now();
    const grace = this.grace.ms();
    const tick = this.deps.tickMs ?? 1000;
    const tainted = hasNoExecute(node);
    let at = Infinity;
    if (nodeReadyStatus(node) === 'True') {
      const seen = this.liveness.heardAt(name, now, this.catchUp.since);
      at = seen + this.deaf.after(seen, grace) + grace + 1;
      if (this.liveness.isConnected(name)) at = Math.min(at, this.refreshDue(name));
    }
    if (tainted) {
      const { due, nextMs } = this.taints.due(node, now, this.evictionNotBefore());
      // Pods still due (held by the zone's rate limit): look again next tick.
      at = Math.min(at, due.length > 0 ? now + tick : nextMs);
    }
    if (at !== Infinity) this.due.schedule(name, Math.max(at, now + 1));
  }

  /** When the node's status refresh is due (never written by this process: its own phase after the start). */
  private refreshDue(name: string): number {
    const refresh = (this.deps.statusRefreshSeconds ?? DEFAULT_STATUS_REFRESH_SECONDS) * 1000;
    return (this.lastWritten.get(name) ?? this.catchUp.since - refresh * phaseOf(name)) + refresh;
  }

  /**
   * Unreachability counts only from when this hub could have heard the node: start + grace, and, as
   * after a start, the end of a stall of its own loop + grace (a node may be back in its sockets).
   */
  private evictionNotBefore = (): number => Math.max(this.catchUp.since, this.deaf.lastEnd()) + this.grace.ms();

  /**
   * Evicts pods of a NoExecute-tainted node that are due. A node not Ready (the lifecycle's own
   * evictions) goes through its zone's rate limit once, as Kubernetes' `--node-eviction-rate`; a
   * taint put on a Ready node by hand evicts at once.
   */
  private async evict(node: Node, now: number): Promise<void> {
    const name = node.metadata.name ?? '';
    const { due } = this.taints.due(node, now, this.evictionNotBefore());
    if (due.length === 0) return;
    if (nodeReadyStatus(node) !== 'True' && !this.evicting.has(name)) {
      if (!this.limiter.tryAcquire(zoneOf(node))) {
        this.held.add(name);
        return;
      }
      this.held.delete(name);
      this.evicting.add(name);
    }
    await this.taints.evict(node, due);
  }

  private async check(node: Node): Promise<void> {
    const name = node.metadata.name ?? '';
    const now = this.deps.clock.now();
    // After a hub restart every node gets a full grace period to reconnect (and more while it proves it is trying).
    const seen = this.liveness.heardAt(name, now, this.catchUp.since);
    // Time the hub itself stood still is not the node's silence (its heartbeats wait to be read).
    const silentMs = now - seen - this.deaf.after(seen, this.grace.ms());
    const connected = this.liveness.isConnected(name);
    const ready = nodeReadyStatus(node);
    const silent = silentMs > this.grace.ms();
    if (ready === 'True' && silent) return this.markUnknown(node, now);
    if (ready === 'True') {
      if (now >= this.refreshDue(name) && connected)
        await this.refreshHeartbeat(node, this.liveness.lastHeartbeat(name) ?? now);
    } else if (!silent) {
      // Heartbeats resumed on a live session (the node was only slow): Ready again. Else it is on its
      // way back (waiting in admission): it keeps its pods until its hello is through.
      // Not a Node without any status yet (just joined): its hello writes its status and Ready at once.
      // (Its heartbeats are its signs of life: the sweep's write is none.)
      if (connected && node.status) await this.readyAgain(node);
      return;
    }
    // Pods on a node with NoExecute taints (unreachable, or put there by hand) go, as their tolerations allow.
    if (hasNoExecute(node)) await this.evict(node, now);
  }

  private async refreshHeartbeat(node: Node, heardAt: number): Promise<void> {
    const written = await writeHeartbeat(this.sweepApi, this.deps.nodes, node, rfc3339(heardAt)).catch(lostRace);
    if (written) this.lastWritten.set(node.metadata.name ?? '', this.deps.clock.now());
  }

  private async markUnknown(node: Node, nowMs: number): Promise<void> {
    const now = rfc3339(nowMs);
    const name = node.metadata.name ?? '';
    const marked = await writeReady(this.sweepApi, this.deps.nodes, node, {
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'edge-node stopped posting node status.',
      lastHeartbeatTime: rfc3339(this.liveness.lastHeartbeat(name) ?? nowMs),
      now,
    }).catch(lostRace);
    if (!marked) return;
    this.deps.events.warning(
      node,
      'NodeNotReady',
      `Node ${name} status is now: NodeNotReady (no heartbeat for ${Math.round(this.grace.ms() / 1000)}s)`,
    );
    const latest = this.deps.nodes.get(undefined, name);
    if (latest) await this.setUnreachableTaint(latest, true);
    // Its pods can no longer be trusted to serve: take them out of endpoints now.
    await markPodsNotReady(this.sweepApi, this.deps.pods, this.deps.nodes, name, now);
  }

  private setUnreachableTaint(node: Node, on: boolean): Promise<Node> {
    // Lifting the taint is markReady's (any hub); putting it on is the sweep's (the leader, fenced).
    const api = on ? this.sweepApi : this.deps.api;
    return setUnreachableTaint(api, this.deps.nodes, node, on, this.deps.clock.now());
  }
}

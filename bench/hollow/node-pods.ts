/**
 * The pod table of one hollow node, driven by the hub's pod frames as the agent's pod workers are:
 * `podSync` is the whole desired set (anything else goes, and every held pod's status is reported
 * again), `podUpsert` adds or changes one (a `deletionTimestamp` means stop, then `podGone`),
 * `podDelete` drops one now. Status changes are gathered for `statusBatchMs` and sent in frames of at
 * most `MAX_STATUS_PODS_PER_FRAME` pods, as the agent sends them.
 */
import { MAX_STATUS_PODS_PER_FRAME, type Pod, type PodRef } from '../../src/api/index.js';
import type { FleetContext } from './context.js';
import { isReady, podRef, simPod, simStatus, type SimPod } from './pods.js';
import { jitter } from './wheel.js';

/** What the pod table needs of its node. */
interface PodsOwner {
  readonly address: string;
  readonly connected: boolean;
  send(msg: { type: 'podStatus'; pods: Array<{ pod: PodRef; status: ReturnType<typeof simStatus> }> }): boolean;
  send(msg: { type: 'podGone'; pods: PodRef[] }): boolean;
}

/** The pods one node holds. */
export class NodePods {
  readonly #pods = new Map<string, SimPod>();
  readonly #dirty = new Set<string>();
  #flushQueued = false;

  constructor(
    private readonly node: PodsOwner,
    private readonly ctx: FleetContext,
  ) {}

  /** Pods held. */
  get size(): number {
    return this.#pods.size;
  }

  /** Held pods (uid → pod) for checks by the driver. */
  entries(): IterableIterator<[string, SimPod]> {
    return this.#pods.entries();
  }

  /** Pods held that report Ready. */
  readyCount(): number {
    let n = 0;
    for (const p of this.#pods.values()) if (isReady(p)) n++;
    return n;
  }

  /** The hub's whole desired set; every held pod's status is reported again (the agent's `reportAll`). */
  sync(msg: { pods: Pod[] }): void {
    const wanted = new Set<string>();
    for (const pod of msg.pods) {
      wanted.add(pod.metadata.uid ?? '');
      this.upsert(pod);
    }
    for (const uid of this.#pods.keys()) if (!wanted.has(uid)) this.remove(uid);
    for (const uid of this.#pods.keys()) this.#markDirty(uid);
  }

  /** One pod added or changed. */
  upsert(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    let held = this.#pods.get(uid);
    if (!held) {
      held = simPod(pod, new Date().toISOString());
      this.#pods.set(uid, held);
      this.#arrived(uid);
      const [min, max] = this.ctx.tuning.startDelayMs;
      const delay = jitter(min, max);
      const p = held;
      this.ctx.wheel.after(delay / 2, () => this.#advance(uid, p, 'Running'));
      this.ctx.wheel.after(delay, () => this.#advance(uid, p, 'Ready'));
    }
    if (pod.metadata.deletionTimestamp !== undefined && held.phase !== 'Terminating') {
      held.phase = 'Terminating';
      const p = held;
      this.ctx.wheel.after(this.ctx.tuning.stopDelayMs, () => {
        if (this.#pods.get(uid) !== p) return;
        this.#pods.delete(uid);
        this.#dirty.delete(uid);
        this.ctx.tally.podsRemoved++;
        this.node.send({ type: 'podGone', pods: [p.ref] });
      });
    }
  }

  /** One pod taken away: stop it now (no report: the hub has forgotten it). */
  remove(uid: string): void {
    if (!this.#pods.delete(uid)) return;
    this.#dirty.delete(uid);
    this.ctx.tally.podsRemoved++;
  }

  /** Forces one pod's readiness (undefined: back to its phase); true when this node holds it. */
  setReady(uid: string, ready: boolean | undefined): boolean {
    const p = this.#pods.get(uid);
    if (!p) return false;
    p.readyOverride = ready;
    p.readySince = new Date().toISOString();
    this.#markDirty(uid);
    return true;
  }

  /** A held pod's reference, if held. */
  ref(uid: string): PodRef | undefined {
    return this.#pods.get(uid)?.ref;
  }

  #arrived(uid: string): void {
    const t = this.ctx.tally;
    if (this.ctx.seenPods.has(uid)) return;
    this.ctx.seenPods.add(uid);
    const now = Date.now();
    t.podsSeen++;
    if (t.firstPodAt === 0) t.firstPodAt = now;
    t.lastPodAt = now;
  }

  #advance(uid: string, p: SimPod, to: 'Running' | 'Ready'): void {
    if (this.#pods.get(uid) !== p || p.phase === 'Terminating') return;
    p.phase = to;
    if (to === 'Ready') {
      p.readySince = new Date().toISOString();
      if (!this.ctx.readyPods.has(uid)) {
        this.ctx.readyPods.add(uid);
        this.ctx.tally.podsReadyOnce++;
        this.ctx.tally.lastReadyAt = Date.now();
      }
    }
    this.#markDirty(uid);
  }

  #markDirty(uid: string): void {
    this.#dirty.add(uid);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.ctx.wheel.after(this.ctx.tuning.statusBatchMs, () => this.#flush());
  }

  /** Sends the gathered changes; kept dirty while disconnected (the next podSync reports all anyway). */
  #flush(): void {
    this.#flushQueued = false;
    if (!this.node.connected || this.#dirty.size === 0) return;
    const batch: Array<{ pod: PodRef; status: ReturnType<typeof simStatus> }> = [];
    for (const uid of this.#dirty) {
      const p = this.#pods.get(uid);
      if (p && p.phase !== 'Terminating') batch.push({ pod: p.ref, status: simStatus(p, this.node.address) });
    }
    this.#dirty.clear();
    for (let i = 0; i < batch.length; i += MAX_STATUS_PODS_PER_FRAME)
      this.node.send({ type: 'podStatus', pods: batch.slice(i, i + MAX_STATUS_PODS_PER_FRAME) });
  }
}

export { podRef };

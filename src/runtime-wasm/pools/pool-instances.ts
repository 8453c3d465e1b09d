/**
 * The live instances of one InstancePool and which of them are idle (main thread): which idle one
 * to use next, and what the busy ones are doing (computing for too long, or waiting for outgoing
 * calls). Bookkeeping only: dropping an instance on its executor is the pool's business.
 */
import type { Executor } from '../executors/executor.js';
import type { PoolJob } from './pool-job.js';

/** One instance of a pool. */
export interface PooledInstance {
  id: number;
  executor: Executor;
  job: PoolJob | undefined;
  /** When its current job was sent. */
  sentAt: number;
  /** Requests it answered (its first one is slow: cold code). */
  served: number;
  lastUsed: number;
  /** Drop when it next becomes idle (the pod was isolated elsewhere). */
  retired: boolean;
}

/** A pool's instances (see the file comment). */
export class PoolInstances {
  readonly #all = new Set<PooledInstance>();
  /** Idle instances, least recently used first. */
  readonly #idle: PooledInstance[] = [];

  get size(): number {
    return this.#all.size;
  }

  values(): PooledInstance[] {
    return [...this.#all];
  }

  has(inst: PooledInstance): boolean {
    return this.#all.has(inst);
  }

  /** Adds a new instance `id` living on `executor` (busy: the caller releases it). */
  add(id: number, executor: Executor): PooledInstance {
    const inst: PooledInstance = {
      id,
      executor,
      job: undefined,
      sentAt: 0,
      served: 0,
      lastUsed: Date.now(),
      retired: false,
    };
    this.#all.add(inst);
    return inst;
  }

  /** Forgets `inst` (idle or not). */
  delete(inst: PooledInstance): void {
    this.#all.delete(inst);
    const i = this.#idle.indexOf(inst);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  /** `inst` is idle again (the most recently used). */
  setIdle(inst: PooledInstance, now = Date.now()): void {
    inst.lastUsed = now;
    this.#idle.push(inst);
  }

  /** The least recently used idle instance when it has sat idle for more than `idleMs` and more than `min` live. */
  staleIdle(now: number, idleMs: number, min: number): PooledInstance | undefined {
    const old = this.#idle[0];
    return old && this.size > min && now - old.lastUsed > idleMs ? old : undefined;
  }

  /**
   * Takes the most recently used idle instance on an executor that can run it now, and adds to
   * `stalled` those found on stalled shared executors (no use for now: drop them). Those on executors blocked
   * in an outgoing call stay idle (free again soon); a dedicated executor has no elsewhere, so its
   * instances are always taken.
   */
  takeIdle(stalled: PooledInstance[]): PooledInstance | undefined {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const inst = this.#idle[i]!;
      const e = inst.executor;
      if (e.dedicated || (!e.stalled && !e.blockedOutgoing)) {
        // The common case (the most recently used one) is the last: pop, no copy.
        if (i === this.#idle.length - 1) this.#idle.pop();
        else this.#idle.splice(i, 1);
        return inst;
      }
      if (e.stalled) stalled.push(inst);
    }
    return undefined;
  }

  /** An idle instance on a shared executor blocked in an outgoing call (the first to give up at the size limit). */
  idleOnBlocked(): PooledInstance | undefined {
    return this.#idle.find((i) => !i.executor.dedicated && i.executor.blockedOutgoing);
  }

  /** Busy instances on shared executors: those serving top-level requests, those on `available` executors (admission.ts). */
  callers(available: (e: Executor) => boolean): { top: number; unblocked: number } {
    let top = 0;
    let unblocked = 0;
    for (const inst of this.#all) {
      if (!inst.job || inst.executor.dedicated) continue;
      if (inst.job.depth === 0) top++;
      if (available(inst.executor)) unblocked++;
    }
    return { top, unblocked };
  }

  /** Instances per executor. */
  perExecutor(): Map<Executor, number> {
    const n = new Map<Executor, number>();
    for (const inst of this.#all) n.set(inst.executor, (n.get(inst.executor) ?? 0) + 1);
    return n;
  }

  /**
   * Whether one has been computing its request for longer than `limitMs`. One with an outgoing
   * call unanswered is not a runaway: it waits (or is about to: it may compute a little between
   * posting the call and blocking), maybe for a request of this very pool.
   */
  hasRunaway(limitMs: number, now = Date.now()): boolean {
    for (const inst of this.#all) {
      const reqId = inst.job?.reqId;
      // Cheapest first: it cannot have computed longer than since it was sent (no shared-memory read).
      if (reqId === undefined || now - inst.sentAt <= limitMs) continue;
      const e = inst.executor;
      if (e.isRunningRequest(reqId) && e.busyFor(now) > limitMs && !e.outgoing.has({ reqId })) return true;
    }
    return false;
  }

  /**
   * Whether a pool with these instances and `starting` more may not grow: at `max` — unless a nested
   * request waits (`nestedWaiting`) and every instance waits for an outgoing call, maybe for that
   * very request (a service calling itself): then up to twice `max`, and the executors' bound ends a
   * loop (admission.ts).
   */
  atLimit(starting: number, max: number, nestedWaiting: boolean): boolean {
    const n = this.#all.size + starting;
    if (n < max) return false;
    return !nestedWaiting || n >= 2 * max || !this.allWaitingOutgoing();
  }

  /** Whether every instance is busy with a request that waits for an outgoing call. */
  allWaitingOutgoing(): boolean {
    for (const inst of this.#all) if (inst.job === undefined || !inst.executor.blockedOutgoing) return false;
    return true;
  }
}

/**
 * The instances of one HTTP container (main thread): dispatches each request to an idle instance,
 * queues when none is idle, grows with concurrency up to `max`, shrinks back to `min` when instances
 * sit idle, and re-creates instances lost with their executor.
 *
 * Concurrency contract: an instance serves one request at a time (guest calls are not re-entrant),
 * so `busy` is exact. While one of its requests has been running far longer than its requests
 * usually take (a runaway), the pool holds new requests back instead of handing them to other or new
 * instances: a pod whose guest is stuck looks stuck (its probes fail, as for a stuck process) rather
 * than hiding behind fresh instances that the same request could send into the same loop.
 *
 * Outgoing calls: instances on an executor blocked in one are skipped (not dropped: the wait is
 * usually short) and the pool grows on available executors instead, swapping out such an idle
 * instance when at `max`. Requests a blocked guest waits for (nested) go first (pool-queue.ts);
 * when to hold a request back, give up on one or rescue it is admission.ts's.
 *
 * Memory: an instance beyond `min` is started only if the Wasm memory budget grants it a slot
 * (pool-memory.ts); else the pool does not grow and requests wait for the instances it has.
 *
 * A job's `onResult` is called exactly once unless cancelled or never run (then retried: pool-results.ts).
 */
import { admits, refuseOrRescue } from './admission.js';
import type { Executor, ExecutorLoss, InstanceOwner } from '../executors/executor.js';
import type { CallerCount, CallerSource } from '../executors/caller-accounting.js';
import type { WireResult } from '../executors/executor-protocol.js';
import type { InstancePoolDeps } from './instance-pool-deps.js';
import { InstanceStarter, type StartedInstance } from './instance-starter.js';
import { ServiceTime, newRequestId, type PoolJob } from './pool-job.js';
import { PoolInstances, type PooledInstance } from './pool-instances.js';
import { PoolQueue } from './pool-queue.js';
import { settleResult, type ResultSink } from './pool-results.js';
import { StartingInstances } from './starting-instances.js';

export type { InstancePoolDeps } from './instance-pool-deps.js';

/** The instance pool of one HTTP container. */
export class InstancePool implements InstanceOwner, CallerSource {
  readonly #deps: InstancePoolDeps;
  readonly #instances = new PoolInstances();
  readonly #queue = new PoolQueue();
  #isolated: boolean;
  /** One of its instances made an outgoing call: its requests may block executors (admission.ts). */
  #callsOut = false;
  #closed = false;
  /** How long a request takes here (send to result), for spotting runaways. */
  readonly #serviceTime = new ServiceTime();
  readonly #starting = new StartingInstances();
  readonly #starter: InstanceStarter;

  constructor(deps: InstancePoolDeps) {
    this.#deps = deps;
    this.#isolated = deps.isolated;
    this.#starter = new InstanceStarter({
      ...deps,
      owner: this,
      instances: this.#instances,
      starting: this.#starting,
      isolated: () => this.#isolated,
      closed: () => this.#closed,
      onStarted: (started) => this.#add(started),
    });
    deps.executors.calls.add(this);
  }

  /** Its requests in flight on shared executors, when it calls out (admission.ts). */
  callers(): CallerCount {
    if (!this.#callsOut || this.#isolated) return { top: 0, unblocked: 0 };
    return this.#instances.callers((e) => this.#deps.executors.available(e));
  }

  /** The call depth of its deepest nested request waiting (CallerSource: rescue executors go deepest first). */
  waitingDepth(): number {
    return this.#isolated ? 0 : this.#queue.deepestNested();
  }

  /** Live instances (starting ones not counted). */
  get size(): number {
    return this.#instances.size;
  }

  /** Creates the first `min` instances; resolves when the first is ready, rejects if it fails. */
  async start(): Promise<void> {
    await this.#starter.startFirst();
  }

  submit(job: PoolJob): void {
    job.queuedAt = Date.now();
    this.#deps.executors.calls.sawDepth(job.depth, job.queuedAt);
    if (this.#queue.length === 0 && !this.#instances.hasRunaway(this.#serviceTime.runawayMs) && this.#admits(job)) {
      const inst = this.#takeIdle();
      if (inst) return this.#send(inst, job);
    }
    this.#queue.push(job);
    this.#pump();
  }

  /**
   * Hands queued jobs to idle instances, and grows for the rest; nothing while a runaway runs, and
   * no more once the next job is held back (it waits for an executor to become available).
   */
  #pump(): void {
    if (this.#closed || this.#queue.length === 0 || this.#instances.hasRunaway(this.#serviceTime.runawayMs)) return;
    for (;;) {
      const job = this.#queue.head;
      if (!job) return;
      if (!this.#admits(job)) return this.#deps.executors.whenAvailable(this.#onAvailable);
      const inst = this.#takeIdle();
      if (!inst) break;
      this.#queue.shift();
      this.#send(inst, job);
    }
    this.#grow();
  }

  #admits(job: PoolJob): boolean {
    return this.#isolated || admits(this.#deps.executors, job.depth, this.#callsOut);
  }

  /** An executor may have become available (or the watchdog ticked): admission.ts's refuseOrRescue, then serve. */
  readonly #onAvailable = (): void => {
    if (this.#closed) return;
    refuseOrRescue(this.#deps.executors, this.#queue, this.#isolated ? undefined : this.#rescue);
    this.#pump();
  };

  /** An instance on a rescue executor of its own for its deepest nested request (at `depth`; #release sends it). */
  readonly #rescue = (depth: number): void => {
    const { executors, memory } = this.#deps;
    const executor = memory.acquire(this.#starter.inUse) ? executors.rescue.start(depth) : undefined;
    if (executor) void this.#starter.launch(executor).catch(() => executors.rescue.end(executor));
  };

  /** An idle instance that can run now (see PoolInstances.takeIdle); those on stalled executors are re-created elsewhere. */
  #takeIdle(): PooledInstance | undefined {
    const stalled: PooledInstance[] = [];
    const inst = this.#instances.takeIdle(stalled);
    for (const s of stalled) this.#remove(s, true);
    if (stalled.length > 0) this.#starter.keepMin();
    return inst;
  }

  /** Takes a job out of the queue; false when it was already sent. */
  cancel(job: PoolJob): boolean {
    return this.#queue.remove(job);
  }

  /** Moves every instance to a dedicated executor (busy ones once they finish). */
  isolate(): void {
    if (this.#isolated || this.#closed) return;
    this.#isolated = true;
    for (const inst of this.#instances.values()) {
      if (inst.job) inst.retired = true;
      else this.#remove(inst, true);
    }
    this.#refill();
  }

  /** Drops instances idle for longer than `idleMs`, keeping `min`. */
  sweep(now: number, idleMs: number): void {
    for (let old; (old = this.#instances.staleIdle(now, idleMs, this.#deps.min));) this.#remove(old, true);
  }

  /** Drops every instance and forgets the queue (the container settles its jobs). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.executors.cancelWhenAvailable(this.#onAvailable);
    this.#deps.executors.calls.remove(this);
    for (const inst of this.#instances.values()) this.#remove(inst, true);
    this.#starter.close();
    this.#queue.clear();
  }

  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    this.#deps.onOutput(stream, data);
  }

  onUsage(instanceId: number, cpuNs: number, memoryBytes: number): void {
    this.#deps.onUsage?.(instanceId, cpuNs, memoryBytes);
  }

  /** Ids of its live instances (metrics: whose memory counts). */
  instanceIds(): Set<number> {
    return new Set(this.#instances.values().map((i) => i.id));
  }

  onOutgoingCall(): void {
    this.#callsOut = true;
  }

  onExecutorLost(executor: Executor, loss: ExecutorLoss): void {
    if (this.#closed) return;
    this.#starting.blame(loss);
    let culprit = false;
    for (const inst of this.#instances.values()) {
      if (inst.executor !== executor) continue;
      if (inst.id === loss.culpritInstanceId) culprit = true;
      this.#remove(inst, false);
    }
    if (culprit) return this.#deps.onFailure(`its executor was lost while running it: ${loss.reason}`);
    this.#refill();
  }

  #send(inst: PooledInstance, job: PoolJob): void {
    const reqId = newRequestId();
    inst.job = job;
    inst.sentAt = Date.now();
    Object.assign(job, { state: 'sent', reqId, executor: inst.executor });
    inst.executor.request(reqId, inst.id, job.request, (result) => this.#onResult(inst, job, result), job.depth);
  }

  #onResult(inst: PooledInstance, job: PoolJob, result: WireResult): void {
    inst.job = undefined;
    if (this.#callsOut) this.#deps.executors.callerEnded();
    settleResult(this.#results, inst, job, result);
  }

  /** The pool as pool-results.ts sees it. */
  readonly #results: ResultSink = {
    closed: () => this.#closed,
    remove: (inst, drop) => this.#remove(inst, drop),
    release: (inst, pump) => this.#release(inst, pump),
    requeue: (job) => this.#queue.unshift(job),
    refill: () => this.#refill(),
    pump: () => this.#pump(),
    served: (ms) => this.#serviceTime.record(ms),
  };

  #release(inst: PooledInstance, pump = true): void {
    if (this.#closed || !this.#instances.has(inst)) return;
    if (inst.retired) {
      // On a rescue executor: the next nested request of the pod first, if one waits (no new instance).
      const next = this.#deps.executors.rescue.has(inst.executor) ? this.#queue.takeDeepestNested() : undefined;
      if (next) return this.#send(inst, next);
      this.#remove(inst, true);
      return this.#refill();
    }
    this.#instances.setIdle(inst);
    if (pump) this.#pump();
  }

  #remove(inst: PooledInstance, drop: boolean): void {
    this.#instances.delete(inst);
    if (drop) inst.executor.drop(inst.id);
    this.#deps.executors.rescue.end(inst.executor);
    this.#deps.memory.trim(this.#starter.inUse);
  }

  /**
   * Starts instances on available executors while requests wait and the pool may grow (instances
   * starting on an executor that got blocked meanwhile do not count: they wait with it).
   */
  #grow(): void {
    const executors = this.#deps.executors;
    while (!this.#closed && this.#queue.length > this.#starting.countOn(this.#usable)) {
      // At the limit: wait for an instance, and look again at every tick (#onAvailable).
      if (this.#full()) return executors.whenAvailable(this.#onAvailable);
      const executor = this.#starter.placement(false);
      if (!executor) return executors.whenAvailable(this.#onAvailable);
      // The budget is full: no growth; an instance finishing (#release) or leaving (#remove) pumps again.
      if (!this.#deps.memory.acquire(this.#starter.inUse)) return;
      void this.#starter.launch(executor).catch(() => undefined);
    }
  }

  /** Whether an instance there could run now. */
  readonly #usable = (e: Executor): boolean => e.dedicated || this.#deps.executors.available(e);

  /** Whether the pool may not grow (PoolInstances.atLimit), after making room at `max` by dropping an idle instance on a blocked executor. */
  #full(): boolean {
    if (!this.#instances.atLimit(this.#starting.count, this.#deps.max, (this.#queue.head?.depth ?? 0) > 0))
      return false;
    const idle = this.#instances.idleOnBlocked();
    if (idle) this.#remove(idle, true);
    return idle === undefined;
  }

  /** Keeps at least `min` instances (after losses), and serves the queue. */
  #refill(): void {
    this.#starter.keepMin();
    this.#pump();
  }

  /** An instance is up: serve with it (or drop it when the pool closed meanwhile). */
  #add({ id, executor }: StartedInstance): void {
    const rescue = this.#deps.executors.rescue;
    if (this.#closed) {
      executor.drop(id);
      return rescue.end(executor);
    }
    const inst = this.#instances.add(id, executor);
    // On a rescue executor: nested requests only (#release), then it goes, with its executor.
    inst.retired = rescue.has(executor);
    this.#release(inst);
  }
}

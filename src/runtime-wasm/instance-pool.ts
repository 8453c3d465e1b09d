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
 * A job's `onResult` is called exactly once unless the job was cancelled, except that a job that
 * never started (its executor was lost, or withdrew it while stalled) is put back in front of the
 * queue and dispatched again: it never ran, so retrying it is safe.
 */
import { errorMessage, type Logger } from '../api/index.js';
import { ExecutorLostError, type Executor, type ExecutorLoss, type InstanceOwner } from './executor.js';
import type { ExecutorPool } from './executor-pool.js';
import type { InstanceSpec, WireResult } from './executor-protocol.js';
import { ServiceTime, newInstanceId, newRequestId, type PoolJob } from './pool-job.js';
import { StartingInstances } from './starting-instances.js';
import type { CoreModule } from './wasm-global.js';

interface PooledInstance {
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

/** Dependencies of {@link InstancePool}. */
export interface InstancePoolDeps {
  /** The spec of a new instance (id given). */
  spec(instanceId: number): InstanceSpec;
  modules: Record<string, CoreModule>;
  executors: ExecutorPool;
  /** Host the instances on a dedicated executor (the pod is isolated). */
  isolated: boolean;
  min: number;
  max: number;
  /** A stuck instantiation (a start function that never returns) is killed after this. */
  instantiateTimeoutMs: number;
  logger: Logger;
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** The pool cannot go on (no instance can be made, or its executor died running one of ours). */
  onFailure(message: string): void;
}

/** The instance pool of one HTTP container. */
export class InstancePool implements InstanceOwner {
  readonly #deps: InstancePoolDeps;
  readonly #instances = new Set<PooledInstance>();
  /** Idle instances, least recently used first. */
  #idle: PooledInstance[] = [];
  #queue: PoolJob[] = [];
  #isolated: boolean;
  #dedicated: Executor | undefined;
  #closed = false;
  #started = false;
  /** How long a request takes here (send to result), for spotting runaways. */
  readonly #serviceTime = new ServiceTime();
  readonly #starting = new StartingInstances();

  constructor(deps: InstancePoolDeps) {
    this.#deps = deps;
    this.#isolated = deps.isolated;
  }

  /** Live instances (starting ones not counted). */
  get size(): number {
    return this.#instances.size;
  }

  /** Creates the first `min` instances; resolves when the first is ready, rejects if it fails. */
  async start(): Promise<void> {
    const first = this.#startInstance();
    for (let i = 1; i < this.#deps.min; i++) void this.#startInstance().catch(() => undefined);
    await first;
  }

  submit(job: PoolJob): void {
    if (this.#queue.length === 0 && !this.#hasRunaway()) {
      const inst = this.#takeIdle();
      if (inst) return this.#send(inst, job);
    }
    this.#queue.push(job);
    this.#pump();
  }

  /** Hands queued jobs to idle instances, and grows for the rest; nothing while a runaway runs. */
  #pump(): void {
    if (this.#closed || this.#queue.length === 0 || this.#hasRunaway()) return;
    for (;;) {
      if (this.#queue.length === 0) return;
      const inst = this.#takeIdle();
      if (!inst) break;
      this.#send(inst, this.#queue.shift()!);
    }
    this.#grow();
  }

  /**
   * The most recently used idle instance whose shared executor is not stalled (those are dropped:
   * re-created elsewhere). A dedicated executor has no elsewhere: its instances just wait.
   */
  #takeIdle(): PooledInstance | undefined {
    for (;;) {
      const inst = this.#idle.pop();
      if (!inst || !inst.executor.stalled || inst.executor.dedicated) return inst;
      this.#remove(inst, true);
      this.#refill();
    }
  }

  /** Takes a job out of the queue; false when it was already sent. */
  cancel(job: PoolJob): boolean {
    const i = this.#queue.indexOf(job);
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  /** Moves every instance to a dedicated executor (busy ones once they finish). */
  isolate(): void {
    if (this.#isolated || this.#closed) return;
    this.#isolated = true;
    for (const inst of [...this.#instances]) {
      if (inst.job) inst.retired = true;
      else this.#remove(inst, true);
    }
    this.#refill();
  }

  /** Drops instances idle for longer than `idleMs`, keeping `min`. */
  sweep(now: number, idleMs: number): void {
    while (this.#instances.size > this.#deps.min && this.#idle.length > 0 && now - this.#idle[0]!.lastUsed > idleMs) {
      this.#remove(this.#idle[0]!, true);
    }
  }

  /** Drops every instance and forgets the queue (the container settles its jobs). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const inst of [...this.#instances]) this.#remove(inst, true);
    void this.#dedicated?.terminate('container ended');
    this.#queue = [];
  }

  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    this.#deps.onOutput(stream, data);
  }

  onExecutorLost(executor: Executor, loss: ExecutorLoss): void {
    if (this.#closed) return;
    this.#starting.blame(loss);
    let culprit = false;
    for (const inst of [...this.#instances]) {
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
    job.state = 'sent';
    job.reqId = reqId;
    job.executor = inst.executor;
    inst.executor.request(reqId, inst.id, job.request, (result) => this.#onResult(inst, job, result));
  }

  #onResult(inst: PooledInstance, job: PoolJob, result: WireResult): void {
    inst.job = undefined;
    if ('withdrawn' in result) {
      // Its executor is stuck on something else: this instance is no use for now; try elsewhere.
      this.#remove(inst, true);
      if (job.state === 'sent' && !this.#closed) {
        job.state = 'queued';
        this.#queue.unshift(job);
      }
      this.#refill();
      return;
    }
    if ('lost' in result) {
      this.#remove(inst, false);
      if (!result.ran && job.state === 'sent' && !this.#closed) {
        // It never ran: retry it first, on an instance that still exists or will.
        job.state = 'queued';
        this.#queue.unshift(job);
        this.#pump();
        return;
      }
      job.onResult(result);
      return;
    }
    if ('status' in result && inst.served++ > 0) this.#serviceTime.record(Date.now() - inst.sentAt);
    if ('end' in result && result.end) this.#remove(inst, false);
    else this.#release(inst);
    job.onResult(result);
  }

  #release(inst: PooledInstance): void {
    if (this.#closed || !this.#instances.has(inst)) return;
    if (inst.retired) {
      this.#remove(inst, true);
      this.#refill();
      return;
    }
    inst.lastUsed = Date.now();
    this.#idle.push(inst);
    this.#pump();
  }

  #remove(inst: PooledInstance, drop: boolean): void {
    this.#instances.delete(inst);
    const i = this.#idle.indexOf(inst);
    if (i >= 0) this.#idle.splice(i, 1);
    if (drop) inst.executor.drop(inst.id);
  }

  /** Starts instances while requests wait and the pool may grow. */
  #grow(): void {
    while (!this.#closed && this.#queue.length > this.#starting.count && this.#instances.size + this.#starting.count < this.#deps.max) {
      void this.#startInstance().catch(() => undefined);
    }
  }

  /** Whether an instance is running one request for far longer than usual. */
  #hasRunaway(): boolean {
    const now = Date.now();
    const limit = this.#serviceTime.runawayMs;
    for (const inst of this.#instances) {
      const job = inst.job;
      if (job?.reqId !== undefined && now - inst.sentAt > limit && inst.executor.isRunningRequest(job.reqId)) return true;
    }
    return false;
  }

  /** Keeps at least `min` instances (after losses), and serves the queue. */
  #refill(): void {
    while (!this.#closed && this.#instances.size + this.#starting.count < this.#deps.min) void this.#startInstance().catch(() => undefined);
    this.#pump();
  }

  #placement(): Executor {
    if (this.#isolated) {
      if (!this.#dedicated?.alive) this.#dedicated = this.#deps.executors.dedicated(true);
      return this.#dedicated;
    }
    const mine = new Map<Executor, number>();
    for (const inst of this.#instances) mine.set(inst.executor, (mine.get(inst.executor) ?? 0) + 1);
    return this.#deps.executors.pick((e) => (mine.get(e) ?? 0) + this.#starting.on(e));
  }

  async #startInstance(attempt = 0): Promise<void> {
    const id = newInstanceId();
    const executor = this.#placement();
    try {
      await this.#starting.run(executor, this.#deps.spec(id), this.#deps.modules, this, this.#deps.instantiateTimeoutMs);
    } catch (err) {
      // A neighbour's overrun took the executor down mid-instantiation: not our fault, try again.
      const retry = err instanceof ExecutorLostError && !this.#starting.wasCulprit(id) && attempt < 2 && !this.#closed;
      if (retry) return this.#startInstance(attempt + 1);
      this.#afterStartFailure(errorMessage(err));
      throw err;
    }
    if (this.#closed) {
      executor.drop(id);
      return;
    }
    this.#started = true;
    const inst: PooledInstance = { id, executor, job: undefined, sentAt: 0, served: 0, lastUsed: Date.now(), retired: false };
    this.#instances.add(inst);
    this.#release(inst);
  }

  #afterStartFailure(message: string): void {
    // Before the first instance is up, start() rejects and the container reports it.
    if (this.#closed || !this.#started) return;
    if (this.#instances.size === 0 && this.#starting.count === 0) {
      this.#deps.onFailure(`cannot instantiate: ${message}`);
      return;
    }
    this.#deps.logger.warn({ err: message }, 'wasm instance failed to start; the pool keeps the instances it has');
  }
}

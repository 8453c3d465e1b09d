/**
 * The main thread's handle on one executor worker: sends components, instantiations, request
 * batches and runs; routes answers and guest output to the instances' owners; and can kill the
 * worker (the only way to stop a guest that never yields).
 *
 * Concurrency contract: requests posted in one callback go out as one message (flushed in a
 * microtask). When the worker is lost (terminated or crashed), every pending request gets a
 * `lost` result — `ran: true` only for the one it was running, the others never started and may be
 * retried — and every owner of an instance here is told, once. A stalled worker (busy with one
 * thing for long) can have its queued requests withdrawn: they get a `withdrawn` result now and the
 * worker will skip them.
 */
import { availableParallelism, setPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './worker-entry.js';
import { ExecutorActivity, type ActivityNow } from './executor-activity.js';
import { Activity, packRequest, unpackResults } from './executor-protocol.js';
import type { ComponentRef, FromWorker, InstanceEnd, InstanceExports, InstanceSpec, Packed, RequestFields, ToWorker, WireResult } from './executor-protocol.js';
import type { CoreModule } from './wasm-global.js';

/** The worker went away (terminated, crashed) while something was pending. */
export class ExecutorLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorLostError';
  }
}

/** Why an executor was lost, and whose instance (if any) it was running. */
export interface ExecutorLoss {
  reason: string;
  /** The instance the worker was running (request, run or instantiation) when it went away. */
  culpritInstanceId?: number;
}

/** Whoever holds instances on an executor. */
export interface InstanceOwner {
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** The executor is gone with the owner's instances on it (called once per owner). */
  onExecutorLost(executor: Executor, loss: ExecutorLoss): void;
}

/** The outcome of a `run`: how the instance ended, and its output when captured. */
export interface RunOutcome {
  end: InstanceEnd;
  /** The run's deadline passed before the worker got to it. */
  expired?: boolean;
  stdout?: Uint8Array;
  stderr?: Uint8Array;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

type ResultHandler = (result: WireResult) => void;

let nextExecutorId = 1;

/** One executor worker thread, from the main thread. Create with {@link Executor.start}. */
export class Executor {
  readonly id = nextExecutorId++;
  readonly startedAt = Date.now();
  readonly #worker: Worker;
  readonly #activity = new ExecutorActivity();
  readonly #onGone: (executor: Executor, loss: ExecutorLoss) => void;
  readonly #owners = new Map<number, InstanceOwner>();
  readonly #results = new Map<number, { instanceId: number; handler: ResultHandler }>();
  readonly #instantiating = new Map<number, Pending<InstanceExports>>();
  readonly #runs = new Map<number, Pending<RunOutcome>>();
  readonly #components = new Set<string>();
  #outbox: Packed = [];
  #flushQueued = false;
  #lastRequestId = 0;
  #nice = 0;
  #wantNice = 0;
  /** Set by the pool's watchdog while the worker is busy with one thing for long (see ExecutorPool). */
  stalled = false;
  #gone: string | undefined;

  private constructor(readonly dedicated: boolean, onGone: (executor: Executor, loss: ExecutorLoss) => void) {
    this.#onGone = onGone;
    this.#worker = spawnWorker('executor-worker', { workerData: { activity: this.#activity.buffer } });
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err) => this.#lose(`executor worker crashed: ${err.message}`));
    this.#worker.on('exit', (code) => this.#lose(`executor worker exited with code ${code}`));
  }

  /** Spawns a worker. `onGone` is called once when it is lost, for whatever reason. */
  static start(dedicated: boolean, onGone: (executor: Executor, loss: ExecutorLoss) => void): Executor {
    return new Executor(dedicated, onGone);
  }

  /** The default number of shared executors: one per core. */
  static defaultCount(): number {
    return Math.max(1, availableParallelism());
  }

  get alive(): boolean {
    return this.#gone === undefined;
  }

  /** Instances living here. */
  get instanceCount(): number {
    return this.#owners.size;
  }

  /** What the worker is running right now, and since when (read from shared memory, no message). */
  activity(): ActivityNow {
    return this.#activity.now();
  }

  /** How long (ms) the worker has been busy with what it runs now; 0 when idle. */
  busyFor(now = Date.now()): number {
    return this.#activity.busyFor(now);
  }

  /** Whether the worker is running request `reqId` at this moment. */
  isRunningRequest(reqId: number): boolean {
    return this.#activity.isRunningRequest(reqId);
  }

  /** Whether the worker is running (or instantiating) instance `instanceId` at this moment. */
  isRunningInstance(instanceId: number): boolean {
    return this.#activity.isRunningInstance(instanceId);
  }

  /**
   * Takes back every request queued here that the worker has not started: each gets a `withdrawn`
   * result (its owner sends it elsewhere) and the worker will skip it. Returns how many.
   */
  withdrawQueued(): number {
    if (this.#gone !== undefined) return 0;
    const running = this.#activity.withdrawUpTo(this.#lastRequestId);
    const taken = [...this.#results.entries()].filter(([id]) => id !== running);
    for (const [id, { handler }] of taken) {
      this.#results.delete(id);
      handler({ id, withdrawn: true });
    }
    return taken.length;
  }

  /** Sets the worker thread's nice value (Linux); false when the OS refused. */
  setNice(nice: number): boolean {
    if (nice === this.#nice) return true;
    const tid = this.#activity.threadId();
    if (tid === 0 || this.#gone !== undefined) return false;
    try {
      setPriority(tid, nice);
      this.#nice = nice;
      return true;
    } catch {
      return false;
    }
  }

  get nice(): number {
    return this.#nice;
  }

  /** The nice value to apply as soon as the worker has told its thread id. */
  preferNice(nice: number): void {
    this.#wantNice = nice;
    this.setNice(nice);
  }

  /** Instantiates a component for `owner`; its compiled modules are sent the first time only. */
  instantiate(spec: InstanceSpec, modules: Record<string, CoreModule>, owner: InstanceOwner): Promise<InstanceExports> {
    if (this.#gone !== undefined) return Promise.reject(new ExecutorLostError(this.#gone));
    this.#sendComponent(spec.component, modules);
    this.#owners.set(spec.instanceId, owner);
    return new Promise((resolve, reject) => {
      this.#instantiating.set(spec.instanceId, { resolve, reject });
      this.#post({ type: 'instantiate', spec });
    });
  }

  /** Queues request `id` for `instanceId`; `handler` gets its result (exactly once, possibly `lost`). */
  request(id: number, instanceId: number, req: RequestFields, handler: ResultHandler): void {
    if (this.#gone !== undefined) {
      handler({ id, lost: this.#gone, ran: false });
      return;
    }
    this.#results.set(id, { instanceId, handler });
    this.#lastRequestId = id;
    packRequest(this.#outbox, id, instanceId, req);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // At the end of the current callback: the worker starts while this thread handles the next
      // socket (requests dispatched by one callback still share one message).
      queueMicrotask(this.#flush);
    }
  }

  /** Runs a command instance to completion (the worker forgets the instance afterwards). */
  run(instanceId: number, deadlineAt?: number): Promise<RunOutcome> {
    if (this.#gone !== undefined) return Promise.reject(new ExecutorLostError(this.#gone));
    return new Promise((resolve, reject) => {
      this.#runs.set(instanceId, { resolve, reject });
      this.#post(deadlineAt === undefined ? { type: 'run', instanceId } : { type: 'run', instanceId, deadlineAt });
    });
  }

  /** Forgets an instance (pool shrink, container end). */
  drop(instanceId: number): void {
    if (!this.#owners.delete(instanceId) || this.#gone !== undefined) return;
    this.#post({ type: 'drop', instanceId });
  }

  /** Kills the worker and whatever guest code it is running. Idempotent. */
  async terminate(reason = 'executor terminated'): Promise<void> {
    this.#lose(reason);
    await this.#worker.terminate();
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    if (this.#outbox.length === 0 || this.#gone !== undefined) return;
    const batch = this.#outbox;
    this.#outbox = [];
    this.#post({ type: 'requests', batch });
  };

  #sendComponent(component: ComponentRef, modules: Record<string, CoreModule>): void {
    if (this.#components.has(component.key)) return;
    this.#components.add(component.key);
    this.#post({ type: 'component', component, modules });
  }

  #post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    if (this.#wantNice !== this.#nice) this.setNice(this.#wantNice);
    switch (msg.type) {
      case 'results':
        for (const chunk of msg.output) this.#owners.get(chunk.instanceId)?.onOutput(chunk.stream, chunk.data);
        unpackResults(msg.batch, (result) => {
          const entry = this.#results.get(result.id);
          if (!entry) return;
          this.#results.delete(result.id);
          if ('end' in result && result.end) this.#owners.delete(entry.instanceId);
          entry.handler(result);
        });
        return;
      case 'output':
        for (const chunk of msg.chunks) this.#owners.get(chunk.instanceId)?.onOutput(chunk.stream, chunk.data);
        return;
      case 'instantiated':
        take(this.#instantiating, msg.instanceId)?.resolve(msg.exports);
        return;
      case 'instantiate-failed':
        this.#owners.delete(msg.instanceId);
        take(this.#instantiating, msg.instanceId)?.reject(new Error(msg.message));
        return;
      case 'run-finished': {
        this.#owners.delete(msg.instanceId);
        const outcome: RunOutcome = { end: msg.end };
        if (msg.expired) outcome.expired = true;
        if (msg.stdout) outcome.stdout = msg.stdout;
        if (msg.stderr) outcome.stderr = msg.stderr;
        take(this.#runs, msg.instanceId)?.resolve(outcome);
        return;
      }
    }
  }

  #lose(reason: string): void {
    if (this.#gone !== undefined) return;
    this.#gone = reason;
    const a = this.activity();
    let culpritInstanceId: number | undefined;
    if (a.kind === Activity.request) culpritInstanceId = this.#results.get(a.id)?.instanceId;
    else if (a.kind === Activity.run || a.kind === Activity.instantiate) culpritInstanceId = a.id;
    const loss: ExecutorLoss = culpritInstanceId === undefined ? { reason } : { reason, culpritInstanceId };
    // Replacement first: whoever re-creates instances below must find a live executor.
    this.#onGone(this, loss);
    const results = [...this.#results.entries()];
    this.#results.clear();
    this.#outbox = [];
    for (const [id, { handler }] of results) handler({ id, lost: reason, ran: a.kind === Activity.request && a.id === id });
    const err = new ExecutorLostError(reason);
    for (const table of [this.#instantiating, this.#runs] as Array<Map<number, Pending<never>>>) {
      for (const p of table.values()) p.reject(err);
      table.clear();
    }
    const owners = new Set(this.#owners.values());
    this.#owners.clear();
    for (const owner of owners) owner.onExecutorLost(this, loss);
  }
}

function take<K, V>(map: Map<K, V>, key: K): V | undefined {
  const v = map.get(key);
  map.delete(key);
  return v;
}

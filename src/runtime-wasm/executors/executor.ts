/**
 * The main thread's handle on one executor worker: sends components, instantiations, request
 * batches and runs; routes answers and guest output to the instances' owners; carries the guests'
 * outgoing HTTP calls to the node's handler and their answers back (outgoing-calls.ts); and can kill
 * the worker (the only way to stop a guest that never yields). Who owns which instance is
 * executor-owners.ts's; how the worker is spawned, executor-worker-start.ts's.
 *
 * Concurrency contract: requests posted in one callback go out as one message (flushed in a
 * microtask). When the worker is lost (terminated or crashed), every pending request gets a
 * `lost` result — `ran: true` only for the one it was running, the others never started and may be
 * retried — every owner of an instance here is told, once, and its pending outgoing calls are
 * forgotten. A stalled worker (busy with one thing for long), or one whose guest waits for an
 * outgoing call, can have its queued requests withdrawn: they get a `withdrawn` result now and the
 * worker will skip them.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ExecutorActivity, type ActivityNow } from './executor-activity.js';
import { Activity, unpackResults } from './executor-protocol.js';
import { ExecutorRequests, type ResultHandler } from './executor-requests.js';
import { InstanceOwners, lossOf } from './executor-owners.js';
import { EXECUTOR_HEAP_MB, startExecutorWorker } from './executor-worker-start.js';
import { PendingReplies } from './pending-replies.js';
import type {
  ComponentRef,
  FromWorker,
  InstanceExports,
  InstanceSpec,
  RequestFields,
  ToWorker,
} from './executor-protocol.js';
import {
  ExecutorLostError,
  type ExecutorLoss,
  type ExecutorOptionsOf,
  type InstanceOwnerOf,
  type RunOutcome,
} from './executor-types.js';
import { OutgoingCalls } from '../outgoing/outgoing-calls.js';
import type { OutgoingCall } from '../outgoing/outgoing-protocol.js';
import { ThreadPriority } from './thread-priority.js';
import type { CoreModule } from '../wasm-global.js';

export { ExecutorLostError, EXECUTOR_HEAP_MB };
export type { ExecutorLoss, RunOutcome };
/** Whoever holds instances on an executor. */
export type InstanceOwner = InstanceOwnerOf<Executor>;
/** How an executor is started, and who hears about it. */
export type ExecutorOptions = ExecutorOptionsOf<Executor>;

let nextExecutorId = 1;

/** One executor worker thread, from the main thread. Create with {@link Executor.start}. */
export class Executor {
  readonly id = nextExecutorId++;
  readonly startedAt = Date.now();
  readonly dedicated: boolean;
  readonly #worker: Worker;
  readonly #activity = new ExecutorActivity();
  readonly #opts: ExecutorOptions;
  readonly #owners = new InstanceOwners<Executor>();
  readonly #requests = new ExecutorRequests((batch) => {
    if (this.#gone === undefined) this.#post({ type: 'requests', batch });
  });
  readonly #instantiating = new PendingReplies<InstanceExports>();
  readonly #runs = new PendingReplies<RunOutcome>();
  readonly #components = new Set<string>();
  readonly #priority = new ThreadPriority(() => this.#activity.threadId());
  /** Set by the pool's watchdog while the worker is busy with one thing for long (see ExecutorPool). */
  stalled = false;
  #gone: string | undefined;
  readonly #calls: OutgoingCalls;
  /** When it last had something to do (see {@link idleFor}). */
  #lastActive = Date.now();

  private constructor(opts: ExecutorOptions) {
    this.#opts = opts;
    this.dedicated = opts.dedicated;
    this.#calls = new OutgoingCalls(opts.outgoing, () => opts.onOutgoingDone?.(this));
    this.#worker = startExecutorWorker({
      activity: this.#activity.buffer,
      outgoing: this.#calls.workerEnd,
      heapMb: opts.heapMb,
      onMessage: (msg) => this.#onMessage(msg),
      onLost: (reason) => this.#lose(reason),
    });
  }

  /** Spawns a worker (see {@link ExecutorOptions}). */
  static start(opts: ExecutorOptions): Executor {
    return new Executor(opts);
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

  /** How long (ms) the worker has been computing what it runs now; 0 when idle or waiting for an outgoing call. */
  busyFor(now = Date.now()): number {
    return this.#activity.busyFor(now);
  }

  /** Whether the worker's guest is waiting for the answer to an outgoing call right now. */
  isWaiting(): boolean {
    return this.#activity.waiting();
  }

  /**
   * Whether a guest here made outgoing calls that are still unanswered while the worker runs it: the
   * worker is (or is about to be) blocked and can run nothing else. Not a stall: it takes no CPU.
   */
  get blockedOutgoing(): boolean {
    return this.#calls.size > 0 && this.#activity.now().kind !== Activity.idle;
  }

  /** Its guests' unanswered outgoing calls (to look up, or fail when their caller's deadline passed). */
  get outgoing(): Pick<OutgoingCalls, 'size' | 'has' | 'fail' | 'answeredWithin'> {
    return this.#calls;
  }

  /** Whether anything is pending here: a request, run, instantiation or outgoing call. */
  get busy(): boolean {
    return this.#requests.pending + this.#instantiating.size + this.#runs.size + this.#calls.size > 0;
  }

  /** How long (ms) nothing has been pending here; 0 when {@link busy}. */
  idleFor(now = Date.now()): number {
    return this.busy ? 0 : now - this.#lastActive;
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
    return this.#requests.withdrawAfter(this.#activity.withdrawUpTo(this.#requests.lastId));
  }

  /** Sets the worker thread's nice value (Linux); false when the OS refused. */
  setNice(nice: number): boolean {
    return this.#gone === undefined && this.#priority.set(nice);
  }

  get nice(): number {
    return this.#priority.nice;
  }

  /** The nice value to apply as soon as the worker has told its thread id. */
  preferNice(nice: number): void {
    this.#priority.prefer(nice);
  }

  /** Instantiates a component for `owner`; its compiled modules are sent the first time only. */
  instantiate(spec: InstanceSpec, modules: Record<string, CoreModule>, owner: InstanceOwner): Promise<InstanceExports> {
    if (this.#gone !== undefined) return Promise.reject(new ExecutorLostError(this.#gone));
    this.#sendComponent(spec.component, modules);
    this.#owners.set(spec.instanceId, owner);
    return this.#instantiating.await(spec.instanceId, () => this.#post({ type: 'instantiate', spec }));
  }

  /**
   * Queues request `id` for `instanceId`; `handler` gets its result (exactly once, possibly `lost`).
   * `depth` is its call depth (see outgoing-dispatch.ts): calls it makes are one deeper.
   */
  request(id: number, instanceId: number, req: RequestFields, handler: ResultHandler, depth = 0): void {
    if (this.#gone !== undefined) {
      handler({ id, lost: this.#gone, ran: false });
      return;
    }
    this.#lastActive = Date.now();
    this.#requests.add(id, instanceId, req, handler, depth);
  }

  /** Runs a command instance to completion (the worker forgets the instance afterwards). */
  run(instanceId: number, deadlineAt?: number): Promise<RunOutcome> {
    if (this.#gone !== undefined) return Promise.reject(new ExecutorLostError(this.#gone));
    return this.#runs.await(instanceId, () =>
      this.#post(deadlineAt === undefined ? { type: 'run', instanceId } : { type: 'run', instanceId, deadlineAt }),
    );
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

  #sendComponent(component: ComponentRef, modules: Record<string, CoreModule>): void {
    if (this.#components.has(component.key)) return;
    this.#components.add(component.key);
    this.#post({ type: 'component', component, modules });
  }

  #post(msg: ToWorker): void {
    this.#lastActive = Date.now();
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    if (this.#gone === undefined) this.#priority.settle();
    this.#lastActive = Date.now();
    // Before the owners of ended instances are forgotten below.
    if ('usage' in msg && msg.usage) this.#owners.usage(msg.usage, (ns) => this.#opts.onGuestTime?.(ns));
    switch (msg.type) {
      case 'results':
        this.#owners.output(msg.output);
        unpackResults(msg.batch, (result) => {
          const entry = this.#requests.take(result.id);
          if (!entry) return;
          if ('end' in result && result.end) this.#owners.delete(entry.instanceId);
          entry.handler(result);
        });
        // A guest that finished with calls still unanswered (it never waited for them) no longer blocks.
        if (this.#calls.size > 0) this.#opts.onOutgoingDone?.(this);
        return;
      case 'outgoing':
        return this.#onOutgoing(msg.call);
      case 'outgoing-cancel':
        this.#calls.forget(msg.id);
        return;
      case 'output':
        this.#owners.output(msg.chunks);
        return;
      case 'instantiated':
        this.#instantiating.resolve(msg.instanceId, msg.exports);
        return;
      case 'instantiate-failed':
        this.#owners.delete(msg.instanceId);
        this.#instantiating.reject(msg.instanceId, new Error(msg.message));
        return;
      case 'run-finished': {
        this.#owners.delete(msg.instanceId);
        const { end, expired, stdout, stderr, dropped } = msg;
        this.#runs.resolve(msg.instanceId, {
          end,
          ...(expired ? { expired } : {}),
          ...(stdout ? { stdout } : {}),
          ...(stderr ? { stderr } : {}),
          ...(dropped ? { dropped } : {}),
        });
        return;
      }
    }
  }

  #onOutgoing(call: OutgoingCall): void {
    this.#owners.get(call.instanceId)?.onOutgoingCall?.();
    const before = this.#calls.size;
    this.#calls.start(call, this.#requests.depthOf(call.reqId) + 1);
    if (before === 0 && this.#calls.size > 0) this.#opts.onOutgoingWait?.(this);
  }

  #lose(reason: string): void {
    if (this.#gone !== undefined) return;
    this.#gone = reason;
    this.#calls.close();
    const a = this.activity();
    const loss = lossOf(reason, a, (reqId) => this.#requests.instanceOf(reqId));
    // Replacement first: whoever re-creates instances below must find a live executor.
    this.#opts.onGone(this, loss);
    this.#requests.loseAll(reason, a.kind === Activity.request ? a.id : undefined);
    const err = new ExecutorLostError(reason);
    this.#instantiating.rejectAll(err);
    this.#runs.rejectAll(err);
    this.#owners.loseAll(this, loss);
  }
}

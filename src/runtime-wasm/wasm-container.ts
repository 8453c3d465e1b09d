/**
 * One Wasm container on the main thread: its instances (an InstancePool on the shared executors, or
 * one command instance on an executor of its own), its requests and their deadlines, and its state
 * (`created` → `running` → `exited`). Guest code runs only in executor workers.
 *
 * Deadlines: a request that is still *running* when its deadline fires overran: the container ends
 * (DeadlineExceeded, 137), its pod is isolated from then on, and its executor is terminated — the
 * neighbours' instances there are re-created by their pools and their queued requests retried. A
 * request whose deadline fires while it merely waits gets a 504 and nothing else happens. Waiting
 * for an outgoing call is waiting too: the call is failed (`connection-timeout`) so the guest can
 * finish; only if it is still running `OUTGOING_GRACE_MS` later did it overrun (container-deadline.ts).
 */
import { CreateContainerError, ServiceUnavailableError, errorMessage, requestDeadlineMs } from '../api/index.js';
import type {
  ContainerStats,
  ContainerRuntimeStatus,
  ExecProcess,
  ExecResult,
  ExecStreamOptions,
  WorkloadRequest,
  WorkloadResponse,
} from '../api/index.js';
import { onDeadline } from './container-deadline.js';
import { ContainerJob, jobFailure } from './container-job.js';
import { InflightJobs } from './container-inflight.js';
import { exportOf, instanceSpec, type InstanceIo } from './container-spec.js';
import { execOnce, execStreaming, type ExecContainer } from './container-exec.js';
import type { Executor } from './executors/executor.js';
import type { InstanceEnd, InstanceSpec } from './executors/executor-protocol.js';
import { KILLED_EXIT_CODE } from './exit-codes.js';
import { InstancePool } from './pools/instance-pool.js';
import { type EndFields, endFields } from './container-end.js';
import { newInstanceId, type JobResult } from './pools/pool-job.js';
import type { MountGrant } from './host/fs-paths.js';
import { GuestUsage } from './usage/guest-usage.js';
import type { WasmContainerDeps } from './wasm-container-deps.js';

export type { PoolLimits, WasmContainerDeps } from './wasm-container-deps.js';
export { KILLED_EXIT_CODE } from './exit-codes.js';

/** One Wasm container (see the file comment). */
export class WasmContainer {
  readonly #deps: WasmContainerDeps;
  #status: ContainerRuntimeStatus;
  #pool: InstancePool | undefined;
  #commandExecutor: Executor | undefined;
  #commandDone: Promise<void> | undefined;
  readonly #inflight = new InflightJobs();
  #stopping = false;
  readonly #usage = new GuestUsage();
  /** The running command's instance (its memory counts while it runs). */
  #commandInstance: number | undefined;

  constructor(deps: WasmContainerDeps) {
    this.#deps = deps;
    this.#status = { id: deps.config.id, state: 'created' };
  }

  get status(): ContainerRuntimeStatus {
    return { ...this.#status };
  }

  /** Its mounts (the runtime gives back their counters when it is removed). */
  get mounts(): readonly MountGrant[] {
    return this.#deps.mounts;
  }

  /** The pool, for the runtime's idle sweep. */
  get pool(): InstancePool | undefined {
    return this.#pool;
  }

  /** An instance spec of this container's component with `args` (default: its own argv). */
  spec(instanceId: number, args?: string[], io?: InstanceIo): InstanceSpec {
    return instanceSpec({ ...this.#deps, callsOut: this.#deps.outgoing !== undefined }, instanceId, args, io);
  }

  /** Starts the instance pool (HTTP) or runs the command; resolves once running. */
  async start(): Promise<void> {
    if (this.#status.state !== 'created') return;
    const { config, component, compiled, log, logger, executors, pool } = this.#deps;
    try {
      if (exportOf(component, 'wasi:http/incoming-handler')) {
        this.#pool = new InstancePool({
          spec: (id) => this.spec(id),
          modules: compiled.modules,
          executors,
          memory: this.#deps.memory,
          isolated: this.#deps.isolated(),
          ...pool,
          logger: logger.child({ container: config.id }),
          onOutput: (stream, data) => log.write(stream, data),
          onUsage: (id, cpuNs, bytes) => this.#usage.add(id, cpuNs, bytes),
          onFailure: (message) => this.#end({ exitCode: 1, reason: 'Error', message }, true),
        });
        await this.#pool.start();
      } else {
        await this.#startCommand();
      }
    } catch (err) {
      const message = `cannot instantiate ${config.image.ref}: ${errorMessage(err)}`;
      this.#end({ exitCode: 1, reason: 'Error', message }, false);
      throw new CreateContainerError(message, err);
    }
    if (this.#status.state !== 'created')
      throw new CreateContainerError(`container ${config.name} ended while starting: ${this.#status.message ?? ''}`);
    this.#status = { ...this.#status, state: 'running', startedAt: new Date().toISOString() };
  }

  /** A command runs to completion on an executor of its own; its exit code ends the container. */
  async #startCommand(): Promise<void> {
    const { compiled, log, executors } = this.#deps;
    const executor = executors.dedicated();
    this.#commandExecutor = executor;
    const id = newInstanceId();
    this.#commandInstance = id;
    await executor.instantiate(this.spec(id), compiled.modules, {
      onOutput: (stream, data) => log.write(stream, data),
      onUsage: (i, cpuNs, bytes) => this.#usage.add(i, cpuNs, bytes),
      onExecutorLost: (_e, loss) => this.#end({ exitCode: 1, reason: 'Error', message: loss.reason }, true),
    });
    this.#commandDone = executor.run(id).then(
      (outcome) => this.#endFromInstance(outcome.end, 'run'),
      () => undefined, // the executor was terminated: #end already recorded why
    );
  }

  /**
   * Guest time of every instance so far, and the memory of the live ones (see usage/guest-usage.ts);
   * undefined unless running.
   */
  usage(): ContainerStats | undefined {
    if (this.#status.state !== 'running') return undefined;
    const live =
      this.#pool?.instanceIds() ?? new Set(this.#commandInstance === undefined ? [] : [this.#commandInstance]);
    return this.#usage.stats(live);
  }

  /** Delivers one HTTP request to an idle instance, within its deadline. */
  handle(req: WorkloadRequest): Promise<WorkloadResponse> {
    const pool = this.#pool;
    if (this.#status.state !== 'running' || this.#stopping || !pool) {
      const what = this.#stopping
        ? 'stopping'
        : this.#status.state !== 'running'
          ? this.#status.state
          : 'a command without an HTTP handler';
      return Promise.reject(
        new ServiceUnavailableError(`container ${this.#deps.config.name} is not serving (${what})`),
      );
    }
    // The caller's budget, bounded by the pod's own deadline (else the node's): a looping neighbour's
    // deadline is its own, not this pod's.
    const timeoutMs = requestDeadlineMs(req.timeoutMs, this.#deps.config.requestTimeoutMs, this.#deps.requestTimeoutMs);
    // Made by a guest of this runtime blocked until it is answered? (see outgoing-dispatch.ts)
    const depth = this.#deps.outgoing?.depth() ?? 0;
    const job = new ContainerJob(req, timeoutMs, depth, (j, result) => this.#onOutcome(j, result));
    job.timer = setTimeout(() => this.#onDeadline(job), timeoutMs);
    this.#inflight.add(job);
    pool.submit(job);
    return job.promise;
  }

  /** Runs `command` in a fresh instance (see exec.ts), with `stdin` as its whole stdin. */
  exec(command: readonly string[], timeoutMs: number, stdin?: Uint8Array, signal?: AbortSignal): Promise<ExecResult> {
    return execOnce(this.#execContainer(), command, timeoutMs, stdin, signal);
  }

  /** Starts `command` in a fresh instance with streamed stdio (see exec-stream.ts). */
  execStream(command: readonly string[], timeoutMs: number, opts: ExecStreamOptions): ExecProcess {
    return execStreaming(this.#execContainer(), command, timeoutMs, opts);
  }

  #execContainer(): ExecContainer {
    return {
      deps: this.#deps,
      state: this.#status.state,
      spec: (id, args, io) => this.spec(id, args, io),
      onOverrun: () => {
        this.#deps.onOffense();
        this.#pool?.isolate();
      },
    };
  }

  /** Lets in-flight work finish for up to `gracePeriodMs`, then ends the container. Idempotent. */
  async stop(gracePeriodMs: number): Promise<void> {
    if (this.#status.state === 'exited') return;
    if (this.#status.state === 'created') {
      this.#end({ exitCode: 0, reason: 'Completed', message: 'stopped before start' }, false);
      return;
    }
    this.#stopping = true;
    const drained = Promise.all([this.#commandDone, this.#inflight.idle()]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, gracePeriodMs))),
    );
    const graceful = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (graceful) this.#end({ exitCode: 0, reason: 'Completed', message: 'stopped' }, false);
    else
      this.#end(
        { exitCode: KILLED_EXIT_CODE, reason: 'Error', message: `killed after the ${gracePeriodMs} ms grace period` },
        false,
      );
  }

  /** Kills whatever is left and closes the log. */
  async remove(): Promise<void> {
    if (this.#status.state !== 'exited')
      this.#end({ exitCode: KILLED_EXIT_CODE, reason: 'Error', message: 'removed' }, false);
    this.#deps.memory.close();
    await this.#deps.log.close();
  }

  #onOutcome(job: ContainerJob, result: JobResult): void {
    this.#inflight.forget(job);
    if ('status' in result) return job.resolveWith(result);
    if ('failed' in result && result.end) this.#endFromInstance(result.end, job.label);
    job.fail(jobFailure(job, result, this.#deps.config.name, this.#status.message));
  }

  #onDeadline(job: ContainerJob): void {
    const { config } = this.#deps;
    onDeadline(job, {
      name: config.name,
      id: config.id,
      cancelQueued: (j) => this.#pool?.cancel(j),
      forget: (j) => this.#inflight.forget(j),
      exited: () => this.#status.state === 'exited',
      finishing: (executor, graceMs) => this.#deps.executors.finishing(executor, graceMs),
      overran: (j, executor) => this.#overran(j, executor),
    });
  }

  /**
   * `job` overran its deadline on `executor`: end this container first (its pool must not re-create
   * anything), then kill the executor; the other pods' pools re-create their instances and retry
   * their queued requests.
   */
  #overran(job: ContainerJob, executor: Executor): void {
    const { config } = this.#deps;
    const where = executor.dedicated ? 'its executor' : `shared executor ${executor.id}`;
    this.#deps.onOffense();
    this.#end(
      {
        exitCode: KILLED_EXIT_CODE,
        reason: 'DeadlineExceeded',
        message: `request ${job.label} exceeded its ${job.timeoutMs} ms deadline; ${where} terminated`,
      },
      true,
    );
    void executor.terminate(`request ${job.label} of container ${config.id} overran its deadline`);
  }

  #endFromInstance(end: InstanceEnd, during: string): void {
    this.#end(endFields(end, during), true);
  }

  /** Records the end (first cause wins), releases the instances, and reports it when unsolicited. */
  #end(fields: EndFields, emit: boolean): void {
    if (this.#status.state === 'exited') return;
    this.#status = { ...this.#status, state: 'exited', finishedAt: new Date().toISOString(), ...fields };
    const { config, log, logger } = this.#deps;
    if (emit && fields.message) log.note(`[edgeplane] ${fields.reason}: ${fields.message}`);
    logger.info({ container: config.id, name: config.name, ...fields }, 'wasm container exited');
    this.#pool?.close(); // queued jobs are in #inflight too
    this.#deps.memory.close(); // its instances are dropped (or their executor terminated) just now
    void this.#commandExecutor?.terminate(fields.message ?? fields.reason);
    // A request of ours still running on a shared executor would spin on there forever: kill it.
    for (const job of this.#inflight.running()) {
      this.#deps.onOffense();
      void job.executor?.terminate(
        `container ${config.id} ended (${fields.reason}) while its request ${job.label} was running`,
      );
    }
    const gone = new ServiceUnavailableError(
      `container ${config.name} ended (${fields.reason}${fields.message ? `: ${fields.message}` : ''})`,
    );
    this.#inflight.failAll(gone);
    if (emit) this.#deps.onExited(this.status);
  }
}

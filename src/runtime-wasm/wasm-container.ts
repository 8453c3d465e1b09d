/**
 * One Wasm container on the main thread: its executor, its instance, its requests and deadlines,
 * and its state (`created` → `running` → `exited`). Guest code runs only in the executor worker.
 */
import { CreateContainerError, InternalError, ServiceUnavailableError, TimeoutError, errorMessage } from '../api/index.js';
import type { ContainerConfig, ContainerRuntimeStatus, Logger, WorkloadRequest, WorkloadResponse } from '../api/index.js';
import { Executor, GuestRequestError } from './executor.js';
import type { CriLogWriter } from './cri-log.js';
import type { InstanceEnd } from './executor-protocol.js';
import type { TranspiledComponent } from './transpile-cache.js';

/** Exit code reported for a guest killed by the runtime (as for SIGKILL: 128 + 9). */
export const KILLED_EXIT_CODE = 137;

export interface WasmContainerDeps {
  config: ContainerConfig;
  component: TranspiledComponent;
  log: CriLogWriter;
  logger: Logger;
  requestTimeoutMs: number;
  /** Called once when the container ends without being asked to (exit, trap, deadline, crash). */
  onExited(status: ContainerRuntimeStatus): void;
}

/** A request sent to the worker and not answered yet. The worker serves them in order. */
interface InFlight {
  label: string;
  timeoutMs: number;
  /** Its deadline passed while it was still queued behind another request. */
  expired: boolean;
  watchdog?: NodeJS.Timeout;
}

type EndFields = Required<Pick<ContainerRuntimeStatus, 'exitCode' | 'reason'>> & { message?: string };

export class WasmContainer {
  readonly #deps: WasmContainerDeps;
  #status: ContainerRuntimeStatus;
  #executor: Executor | undefined;
  readonly #inflight = new Set<InFlight>();
  #stopping = false;
  #commandDone: Promise<void> | undefined;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(deps: WasmContainerDeps) {
    this.#deps = deps;
    this.#status = { id: deps.config.id, state: 'created' };
  }

  get status(): ContainerRuntimeStatus {
    return { ...this.#status };
  }

  /** Spawns the executor and instantiates; for a command, starts `run` and returns once running. */
  async start(): Promise<void> {
    if (this.#status.state !== 'created') return;
    const { config, component, log } = this.#deps;
    const executor = Executor.start({
      onOutput: (_id, stream, data) => log.write(stream, data),
      onLost: (message) => this.#end({ exitCode: 1, reason: 'Error', message }, true),
    });
    this.#executor = executor;
    let exports;
    try {
      exports = await executor.instantiate({
        instanceId: config.id,
        jsUrl: component.jsUrl,
        modules: component.modules,
        grant: { env: { ...config.env }, args: [config.name, ...config.args] },
      });
    } catch (err) {
      const message = `cannot instantiate ${config.image.ref}: ${errorMessage(err)}`;
      this.#end({ exitCode: 1, reason: 'Error', message }, false);
      throw new CreateContainerError(message, err);
    }
    if (this.#status.state !== 'created') throw new CreateContainerError(`container ${config.name} ended while starting: ${this.#status.message ?? ''}`);
    this.#status = { ...this.#status, state: 'running', startedAt: new Date().toISOString() };
    if (exports.run && !exports.http) {
      // A command: run to completion in the worker; its exit code ends the container.
      this.#commandDone = executor.run(config.id).then(
        (end) => this.#endFromInstance(end, 'run'),
        () => undefined, // the executor was terminated: #end already recorded why
      );
    }
  }

  /** Delivers one HTTP request to the instance, within its deadline. */
  handle(req: WorkloadRequest): Promise<WorkloadResponse> {
    const { config, requestTimeoutMs } = this.#deps;
    const executor = this.#executor;
    if (this.#status.state !== 'running' || this.#stopping || !executor) {
      return Promise.reject(new ServiceUnavailableError(`container ${config.name} is not serving (${this.#stopping ? 'stopping' : this.#status.state})`));
    }
    const timeoutMs = req.timeoutMs ?? requestTimeoutMs;
    const entry: InFlight = { label: `${req.method} ${req.path}`, timeoutMs, expired: false };
    this.#inflight.add(entry);
    return new Promise<WorkloadResponse>((resolve, reject) => {
      const deadline = setTimeout(() => {
        reject(new TimeoutError(`upstream timed out: ${entry.label} got no answer from ${config.name} within ${timeoutMs} ms`));
        // The worker serves in order: the oldest request is the one running; only it overran.
        if (this.#oldest() === entry) this.#deadlineExceeded(entry);
        else entry.expired = true;
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(deadline);
        clearTimeout(entry.watchdog);
        this.#inflight.delete(entry);
        this.#armWatchdog();
        if (this.#inflight.size === 0) this.#idleWaiters.splice(0).forEach((w) => w());
      };
      executor
        .request(config.id, {
          method: req.method,
          path: req.path,
          authority: req.authority,
          scheme: req.scheme,
          headers: req.headers,
          body: req.body,
        })
        .then(
          (res) => resolve(res),
          (err: unknown) => reject(this.#requestFailure(err, entry.label)),
        )
        .finally(settle);
    });
  }

  /** Lets in-flight work finish for up to `gracePeriodMs`, then kills the executor. Idempotent. */
  async stop(gracePeriodMs: number): Promise<void> {
    if (this.#status.state === 'exited') return;
    if (this.#status.state === 'created') {
      this.#end({ exitCode: 0, reason: 'Completed', message: 'stopped before start' }, false);
      return;
    }
    this.#stopping = true;
    const drained = Promise.all([this.#commandDone, this.#idle()]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, gracePeriodMs))));
    const graceful = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (graceful) this.#end({ exitCode: 0, reason: 'Completed', message: 'stopped' }, false);
    else this.#end({ exitCode: KILLED_EXIT_CODE, reason: 'Error', message: `killed after the ${gracePeriodMs} ms grace period` }, false);
    await this.#executor?.terminate();
  }

  /** Kills whatever is left and closes the log. */
  async remove(): Promise<void> {
    if (this.#status.state !== 'exited') this.#end({ exitCode: KILLED_EXIT_CODE, reason: 'Error', message: 'removed' }, false);
    await this.#executor?.terminate();
    await this.#deps.log.close();
  }

  #oldest(): InFlight | undefined {
    return this.#inflight.values().next().value;
  }

  /** A request whose deadline passed while queued gets a full deadline of its own once it runs. */
  #armWatchdog(): void {
    const head = this.#oldest();
    if (!head || !head.expired || head.watchdog) return;
    head.watchdog = setTimeout(() => {
      if (this.#oldest() === head) this.#deadlineExceeded(head);
    }, head.timeoutMs);
  }

  #idle(): Promise<void> {
    return this.#inflight.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #deadlineExceeded(entry: InFlight): void {
    this.#end(
      { exitCode: KILLED_EXIT_CODE, reason: 'DeadlineExceeded', message: `request ${entry.label} exceeded its ${entry.timeoutMs} ms deadline; executor terminated` },
      true,
    );
  }

  #requestFailure(err: unknown, label: string): Error {
    const name = this.#deps.config.name;
    if (err instanceof GuestRequestError && err.end) {
      this.#endFromInstance(err.end, label);
      return new ServiceUnavailableError(`container ${name} ended while handling ${label}: ${this.#status.message ?? err.message}`);
    }
    if (err instanceof GuestRequestError) return new InternalError(`container ${name} failed to handle ${label}: ${err.message}`, err);
    if (this.#status.state === 'exited') {
      return new ServiceUnavailableError(`container ${name} ended (${this.#status.reason ?? 'exited'}) while handling ${label}`);
    }
    return new InternalError(`container ${name} failed to handle ${label}: ${errorMessage(err)}`, err);
  }

  #endFromInstance(end: InstanceEnd, during: string): void {
    if (end.kind === 'exit') {
      const fields: EndFields = { exitCode: end.code, reason: end.code === 0 ? 'Completed' : 'Error' };
      if (during !== 'run') fields.message = `exited with code ${end.code} while handling ${during}`;
      this.#end(fields, true);
    } else {
      this.#end({ exitCode: 1, reason: 'Error', message: end.message }, true);
    }
  }

  /** Records the end (first cause wins), kills the executor, and reports it when unsolicited. */
  #end(fields: EndFields, emit: boolean): void {
    if (this.#status.state === 'exited') return;
    this.#status = { ...this.#status, state: 'exited', finishedAt: new Date().toISOString(), ...fields };
    const { config, log, logger, onExited } = this.#deps;
    // Why the guest ended is worth a line in its own log when nobody asked for it.
    if (emit && fields.message) log.note(`[edgeplane] ${fields.reason}: ${fields.message}`);
    logger.info({ container: config.id, name: config.name, ...fields }, 'wasm container exited');
    void this.#executor?.terminate(fields.message ?? fields.reason);
    if (emit) onExited(this.status);
  }
}

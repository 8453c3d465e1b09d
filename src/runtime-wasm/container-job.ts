/**
 * One HTTP request to a Wasm container, from `endpoint().handle()` to its answer (main thread): the
 * wire form sent to an executor, the deadline timer, the promise the caller waits on, and the error
 * the caller gets when no response came.
 */
import { InternalError, ServiceUnavailableError, TimeoutError, type EdgeError } from '../api/index.js';
import type { WorkloadRequest, WorkloadResponse } from '../api/index.js';
import type { Executor } from './executors/executor.js';
import type { RequestFields } from './executors/executor-protocol.js';
import type { JobResult, PoolJob } from './pools/pool-job.js';

/** Flattens header pairs for the wire. */
function flatHeaders(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  const out: string[] = new Array<string>(pairs.length * 2);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    out[i * 2] = p[0];
    out[i * 2 + 1] = p[1];
  }
  return out;
}

/** Pairs from the wire's flat headers. */
function headerPairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** One request to a container, as a pool job with a promise for its caller. */
export class ContainerJob implements PoolJob {
  readonly request: RequestFields;
  readonly label: string;
  state: PoolJob['state'] = 'queued';
  queuedAt = 0;
  reqId?: number;
  executor?: Executor;
  timer: NodeJS.Timeout | undefined;
  readonly promise: Promise<WorkloadResponse>;
  #resolve!: (res: WorkloadResponse) => void;
  #reject!: (err: Error) => void;

  constructor(
    req: WorkloadRequest,
    readonly timeoutMs: number,
    /** Its call depth (see PoolJob.depth). */
    readonly depth: number,
    private readonly onOutcome: (job: ContainerJob, result: JobResult) => void,
  ) {
    this.label = `${req.method} ${req.path}`;
    this.request = {
      method: req.method,
      path: req.path,
      authority: req.authority,
      scheme: req.scheme,
      headers: flatHeaders(req.headers),
      body: req.body.byteLength > 0 ? req.body : null,
      deadlineAt: Date.now() + timeoutMs,
    };
    this.promise = new Promise<WorkloadResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Called by the pool with the worker's answer. */
  onResult(result: JobResult): void {
    this.onOutcome(this, result);
  }

  /** Answers with the guest's response (no-op once settled). */
  resolveWith(result: { status: number; headers: string[]; body: Uint8Array }): void {
    if (!this.#settle()) return;
    this.#resolve({ status: result.status, headers: headerPairs(result.headers), body: result.body });
  }

  /** Fails the request (no-op once settled). */
  fail(err: Error): void {
    if (this.#settle()) this.#reject(err);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Whether its executor is running it at this moment. */
  get running(): boolean {
    return this.state === 'sent' && this.reqId !== undefined && this.executor?.isRunningRequest(this.reqId) === true;
  }

  #settle(): boolean {
    if (this.state === 'done') return false;
    this.state = 'done';
    clearTimeout(this.timer);
    return true;
  }
}

/**
 * The error a request's caller gets for a result that is not a response. `ended` is the container's
 * end message when the instance ended it while handling the request (`failed` with `end`).
 */
export function jobFailure(
  job: ContainerJob,
  result: Exclude<JobResult, { status: number }>,
  name: string,
  ended?: string,
): EdgeError {
  if ('expired' in result)
    return new TimeoutError(`upstream timed out: ${job.label} got no answer from ${name} within ${job.timeoutMs} ms`);
  if ('lost' in result)
    return new ServiceUnavailableError(
      `container ${name}: its executor was lost while handling ${job.label}: ${result.lost}`,
    );
  if ('refused' in result)
    return new ServiceUnavailableError(`container ${name} cannot take ${job.label} now: ${result.refused}`);
  if (result.end)
    return new ServiceUnavailableError(
      `container ${name} ended while handling ${job.label}: ${ended ?? result.failed}`,
    );
  return new InternalError(`container ${name} failed to handle ${job.label}: ${result.failed}`);
}

/**
 * What an InstancePool hands around: the jobs it dispatches (requests, owned and settled by their
 * container), process-wide ids, and the service-time estimate it uses to spot runaway requests.
 */
import type { Executor } from '../executors/executor.js';
import type { RequestFields, WireResult } from '../executors/executor-protocol.js';

/**
 * What a job's owner sees of a result: the worker's answer, or `refused` when the pool gave up on a
 * nested request because no executor could take it (every one blocked in outgoing calls).
 */
export type JobResult = Exclude<WireResult, { withdrawn: true }> | { refused: string };

/** One request on its way through a pool; the container owns it and settles it. */
export interface PoolJob {
  request: RequestFields;
  state: 'queued' | 'sent' | 'done';
  /** Its call depth: 0 from outside, n when made by a guest serving a request of depth n - 1. */
  depth: number;
  /** When the pool queued it (`Date.now()`), if it did. */
  queuedAt: number;
  /** Set once sent: the request id and the executor running it. */
  reqId?: number;
  executor?: Executor;
  /** The outcome (never `withdrawn` or `lost` with `ran: false`: those are retried). */
  onResult(result: JobResult): void;
}

let nextInstanceId = 1;
let nextRequestId = 1;

/** A fresh instance id (unique in the process). */
export function newInstanceId(): number {
  return nextInstanceId++;
}

/** A fresh request id (unique in the process, increasing: executors rely on it for withdrawals). */
export function newRequestId(): number {
  return nextRequestId++;
}

/** A request running at least this long (and 20× longer than usual) is a runaway... */
const RUNAWAY_MIN_MS = 25;
/** ...and one running this long always is. */
const RUNAWAY_MAX_MS = 1000;

/** How long a pool's requests usually take (moving average), and when one is a runaway. */
export class ServiceTime {
  #typicalMs = 0;

  /** Records one answered request (not an instance's first: cold code is slow). */
  record(ms: number): void {
    this.#typicalMs = this.#typicalMs === 0 ? ms : 0.9 * this.#typicalMs + 0.1 * ms;
  }

  /** Running longer than this: a runaway (20× typical, within 25 ms to 1 s). */
  get runawayMs(): number {
    return Math.min(RUNAWAY_MAX_MS, Math.max(RUNAWAY_MIN_MS, 20 * this.#typicalMs));
  }
}

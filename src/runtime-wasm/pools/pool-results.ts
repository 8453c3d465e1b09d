/**
 * What a request's result does to its instance pool (main thread). Withdrawn (its executor stalled
 * or blocked): the job goes back to the front of the queue, and the instance is dropped (stalled) or
 * kept for later (blocked). Lost with its executor: a job that never ran is retried first, one that
 * ran gets the loss. Served: the instance is free again (or gone, when its guest ended), and the job
 * gets its result. Split from instance-pool.ts, which owns the instances and the queue.
 *
 * So a job's `onResult` is called exactly once unless the job was cancelled, except that a job that
 * never started (its executor was lost, or withdrew it while stalled or blocked) is put back in
 * front of the queue and dispatched again: it never ran, so retrying it is safe.
 */
import type { WireResult } from '../executors/executor-protocol.js';
import type { PoolJob } from './pool-job.js';
import type { PooledInstance } from './pool-instances.js';

/** The pool's side of settling a result. */
export interface ResultSink {
  closed(): boolean;
  /** Forgets an instance (`drop`: tell its executor too; a lost executor needs no telling). */
  remove(inst: PooledInstance, drop: boolean): void;
  /** The instance may serve again (`pump`: hand it the next job now). */
  release(inst: PooledInstance, pump?: boolean): void;
  /** Puts a job that never ran (state set back to `queued`) at the front of the queue. */
  requeue(job: PoolJob): void;
  /** Keeps `min` instances and serves the queue. */
  refill(): void;
  /** Serves the queue. */
  pump(): void;
  /** A request took `ms` from send to result (for spotting runaways). */
  served(ms: number): void;
}

/** Settles `job`'s result on `inst` (its `job` already cleared by the caller). */
export function settleResult(pool: ResultSink, inst: PooledInstance, job: PoolJob, result: WireResult): void {
  if ('withdrawn' in result) {
    // Its executor is stuck on something else. Stalled: this instance is no use for now, drop it
    // (re-created elsewhere). Blocked in an outgoing call: keep it for later. Try elsewhere.
    if (inst.executor.stalled) pool.remove(inst, true);
    else pool.release(inst, false);
    if (job.state === 'sent' && !pool.closed()) requeue(pool, job);
    pool.refill();
    return;
  }
  if ('lost' in result) {
    pool.remove(inst, false);
    if (!result.ran && job.state === 'sent' && !pool.closed()) {
      // It never ran: retry it first, on an instance that still exists or will.
      requeue(pool, job);
      pool.pump();
      return;
    }
    job.onResult(result);
    return;
  }
  if ('status' in result && inst.served++ > 0) pool.served(Date.now() - inst.sentAt);
  if ('end' in result && result.end) pool.remove(inst, false);
  else pool.release(inst);
  job.onResult(result);
}

function requeue(pool: ResultSink, job: PoolJob): void {
  job.state = 'queued';
  pool.requeue(job);
}

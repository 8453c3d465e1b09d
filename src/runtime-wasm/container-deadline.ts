/**
 * What a request's deadline does in its Wasm container: a request still waiting gets a 504 and nothing
 * else; one still *running* overran, unless it waits for an outgoing call — then the call is failed
 * (`connection-timeout`) so the guest can finish, and only if it still runs {@link OUTGOING_GRACE_MS}
 * later did it overrun; likewise when one of its calls was answered within that time (it may still be
 * handling the answer). The container decides what an overrun costs (see wasm-container.ts).
 */
import { TimeoutError } from '../api/index.js';
import type { ContainerJob } from './container-job.js';
import type { Executor } from './executors/executor.js';
import { OUTGOING_GRACE_MS } from './outgoing/outgoing-dispatch.js';

/** The container a deadline acts on. */
export interface DeadlineTarget {
  /** The container's name (in the 504's message) and id (in an executor's termination reason). */
  name: string;
  id: string;
  /** Takes a queued `job` off the pool's queue. */
  cancelQueued(job: ContainerJob): void;
  /** Drops `job` from the container's in-flight requests. */
  forget(job: ContainerJob): void;
  /** Whether the container has ended. */
  exited(): boolean;
  /** `executor`'s guest has `graceMs` to finish: not to be deprioritised meanwhile. */
  finishing(executor: Executor, graceMs: number): void;
  /** `job` overran its deadline on `executor`. */
  overran(job: ContainerJob, executor: Executor): void;
}

/** The deadline of `job` fired: fails it with a 504, and tells `target` when it overran. */
export function onDeadline(job: ContainerJob, target: DeadlineTarget): void {
  if (job.done) return;
  const running = job.running;
  if (job.state === 'queued') target.cancelQueued(job);
  target.forget(job);
  job.fail(
    new TimeoutError(`upstream timed out: ${job.label} got no answer from ${target.name} within ${job.timeoutMs} ms`),
  );
  if (!running) return;
  const executor = job.executor!;
  const reqId = job.reqId!;
  // Waiting for a callee is not an overrun: end its calls (the guest sees connection-timeout) and give
  // it a moment to finish. Nor is handling a callee's answer that came just now: a callee given the
  // caller's remaining time fails a hair before the caller's own deadline, and a loaded machine may
  // not have run the guest since.
  if (executor.outgoing.has({ reqId }) || executor.outgoing.answeredWithin(reqId, OUTGOING_GRACE_MS)) {
    target.finishing(executor, OUTGOING_GRACE_MS);
    executor.outgoing.fail({ reqId }, { tag: 'connection-timeout' });
    const recheck = (): void => {
      if (!executor.isRunningRequest(reqId)) return;
      if (!target.exited()) target.overran(job, executor);
      else void executor.terminate(`request ${job.label} of container ${target.id} kept running past its deadline`);
    };
    setTimeout(recheck, OUTGOING_GRACE_MS).unref();
    return;
  }
  target.overran(job, executor);
}

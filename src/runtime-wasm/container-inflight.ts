/**
 * The requests a Wasm container has taken and not answered yet (main thread), queued or sent: what
 * a graceful stop waits for, and what the container's end fails (and, for those still running on a
 * shared executor, kills).
 */
import type { ContainerJob } from './container-job.js';

/** One container's unanswered requests (see the file comment). */
export class InflightJobs {
  readonly #jobs = new Set<ContainerJob>();
  readonly #idleWaiters: Array<() => void> = [];

  add(job: ContainerJob): void {
    this.#jobs.add(job);
  }

  /** `job` is answered (or given up): forget it. */
  forget(job: ContainerJob): void {
    if (!this.#jobs.delete(job)) return;
    if (this.#jobs.size === 0) this.#wake();
  }

  /** Resolves once no request is left. */
  idle(): Promise<void> {
    return this.#jobs.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** The requests a worker is running right now (live: one forgotten meanwhile is skipped). */
  *running(): Generator<ContainerJob> {
    for (const job of this.#jobs) if (job.running) yield job;
  }

  /** Fails every request with `err` and forgets them all. */
  failAll(err: Error): void {
    for (const job of this.#jobs) job.fail(err);
    this.#jobs.clear();
    this.#wake();
  }

  #wake(): void {
    this.#idleWaiters.splice(0).forEach((w) => w());
  }
}

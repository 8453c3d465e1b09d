/**
 * The requests waiting in one InstancePool (main thread). Nested requests — made by a guest that is
 * blocked in an outgoing call until they are answered (see outgoing-dispatch.ts) — go before the
 * others: answering them frees an executor, and a request from outside that is held back
 * (admission.ts) must not hold them back with it. Within each group, first come first served; a
 * request put back (it never ran) goes to the front of its group.
 */
import type { PoolJob } from './pool-job.js';

/** One pool's waiting requests (see the file comment). */
export class PoolQueue {
  #jobs: PoolJob[] = [];

  get length(): number {
    return this.#jobs.length;
  }

  /** The next job to dispatch. */
  get head(): PoolJob | undefined {
    return this.#jobs[0];
  }

  /** Queues a new job: after the other nested ones when nested, else last. */
  push(job: PoolJob): void {
    if (job.depth === 0) this.#jobs.push(job);
    else this.#jobs.splice(this.#firstOuter(), 0, job);
  }

  /** Puts back a job that never ran, at the front of its group. */
  unshift(job: PoolJob): void {
    if (job.depth > 0) this.#jobs.unshift(job);
    else this.#jobs.splice(this.#firstOuter(), 0, job);
  }

  shift(): PoolJob | undefined {
    return this.#jobs.shift();
  }

  /** Takes `job` out; false when it is not queued. */
  remove(job: PoolJob): boolean {
    const i = this.#jobs.indexOf(job);
    if (i < 0) return false;
    this.#jobs.splice(i, 1);
    return true;
  }

  /** Forgets every job. */
  clear(): void {
    this.#jobs = [];
  }

  /** Where the jobs from outside begin (after the nested ones). */
  #firstOuter(): number {
    const i = this.#jobs.findIndex((j) => j.depth === 0);
    return i < 0 ? this.#jobs.length : i;
  }

  /** The call depth of the deepest nested job queued (0: none). */
  deepestNested(): number {
    let d = 0;
    for (const j of this.#jobs) if (j.depth > d) d = j.depth;
    return d;
  }

  /** Takes out the deepest nested job (the first queued of those), if any. */
  takeDeepestNested(): PoolJob | undefined {
    const d = this.deepestNested();
    if (d === 0) return undefined;
    const i = this.#jobs.findIndex((j) => j.depth === d);
    return this.#jobs.splice(i, 1)[0];
  }

  /** Takes out the nested jobs queued since before `before` (`Date.now()` ms). */
  takeNestedQueuedBefore(before: number): PoolJob[] {
    const stale = this.#jobs.filter((j) => j.depth > 0 && j.queuedAt < before);
    if (stale.length > 0) this.#jobs = this.#jobs.filter((j) => !stale.includes(j));
    return stale;
  }
}

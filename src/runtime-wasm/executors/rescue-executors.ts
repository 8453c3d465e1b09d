/**
 * Rescue executors: the way out when every shared executor is blocked in outgoing calls and the
 * requests they wait for can run nowhere (main thread; used by pools/instance-pool.ts through
 * pools/pool-rescue.ts).
 *
 * Admission (pools/admission.ts) keeps callers from taking the executors their callees need, but it
 * learns who calls out, and how deep chains go, from what it sees: a first burst of chains can fill
 * every shared executor with callers before anything was seen calling out, and then the ends of those
 * chains wait for an executor that never comes. Like a fork-join pool's compensation threads, a
 * nested request that waits while nothing shared can take work gets a worker of its own for that one
 * request, beyond `maxShared`; the worker ends with its instance. Three rules keep it sound and
 * bounded:
 * - **deepest first**: only the deepest nested request waiting anywhere may have one — the one
 *   nearest the end of its chain, whose answer frees the others in turn;
 * - **one at a time**: none while another rescue executor is still starting or running unblocked
 *   (until its guest calls out, nobody knows whether it will): so they cannot all be taken by
 *   requests that turn out to call out, and leave nothing for the end of a chain;
 * - **at most `max`** alive (default: the number of fixed executors): a service calling itself goes
 *   one level deeper on each, so a true loop still ends — stuck once the last is blocked, and refused
 *   (pools/admission.ts's stuckReason).
 * They run nothing else: no other request, no top-level one, is placed on them.
 */
import type { Logger } from '../../api/index.js';
import type { Executor } from './executor.js';

/** Starts a dedicated worker that reports when it is gone (see ExecutorPool). */
export type StartRescue = (onGone: (e: Executor) => void) => Executor;

/** Options of {@link RescueExecutors}. */
export interface RescueExecutorsOptions {
  /** Rescue executors alive at most. */
  max: number;
  logger: Logger;
  start: StartRescue;
}

/** The runtime's rescue executors (see the file comment). */
export class RescueExecutors {
  readonly #o: RescueExecutorsOptions;
  readonly #alive = new Set<Executor>();
  /** Rescue executors started so far (for tests and figures). */
  starts = 0;

  constructor(opts: RescueExecutorsOptions) {
    this.#o = opts;
  }

  /** The rescue executors alive now. */
  get alive(): ReadonlySet<Executor> {
    return this.#alive;
  }

  /** Whether one is starting or running a guest that is not blocked in an outgoing call (it may free others). */
  moving(): boolean {
    for (const e of this.#alive) if (e.alive && !e.blockedOutgoing) return true;
    return false;
  }

  /** Whether they may still free a blocked chain: one is moving, or one more may be started. */
  mayHelp(): boolean {
    return this.#alive.size < this.#o.max || this.moving();
  }

  /** Whether one more may be started now (not at `max`, none moving). */
  canStart(): boolean {
    return this.#alive.size < this.#o.max && !this.moving();
  }

  /** A new rescue executor for a nested request at call `depth`, or undefined when none may be started now. */
  start(depth: number): Executor | undefined {
    if (!this.canStart()) return undefined;
    const e = this.#o.start((gone) => this.#alive.delete(gone));
    this.#alive.add(e);
    this.starts++;
    this.#o.logger.info(
      { executor: e.id, depth, rescue: this.#alive.size, max: this.#o.max },
      'every shared wasm executor is blocked in outgoing calls (or stalled): started a rescue executor for a nested request',
    );
    return e;
  }

  /** Whether `e` is one of them. */
  has(e: Executor): boolean {
    return this.#alive.size > 0 && this.#alive.has(e);
  }

  /** Ends `e` (its one instance is done). */
  end(e: Executor): void {
    if (this.#alive.delete(e)) void e.terminate('rescue executor done');
  }

  /** Forgets them all and returns them, for the caller to terminate. */
  takeAll(): Executor[] {
    const all = [...this.#alive];
    this.#alive.clear();
    return all;
  }
}

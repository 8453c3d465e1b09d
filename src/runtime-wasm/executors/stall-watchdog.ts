/**
 * The executors' stall watchdog (main thread). Every `stallMs / 2` it looks at the shared executors:
 * one that has been computing the same thing for `stallMs` is *stalled* — a guest that loops, or
 * computes for long. Its queued requests are withdrawn (their pools send them elsewhere), placement
 * avoids it (ExecutorPool.available), and its thread's priority is lowered so it takes little CPU
 * from the rest until it finishes or its deadline kills it. Executors of isolated pods run at a lower
 * priority all along, and at the lowest while stalled.
 *
 * A guest waiting for an outgoing call computes nothing: it is never stalled, and a stalled one that
 * starts waiting gets its priority back (its caller's deadline is running).
 *
 * A guest *finishing* after its deadline failed its outgoing calls (container-deadline.ts) has a short
 * wall-clock grace to answer. It may be flagged stalled (placement avoids it) but keeps its priority:
 * at the lowest one on a loaded machine it would get almost no CPU, miss the grace, and be ended as
 * an overrun although only its callee was slow (a CI run at load ~15 ended an innocent caller so).
 */
import type { Logger } from '../../api/index.js';
import type { Executor } from './executor.js';

/** Nice value of a stalled executor's thread (the lowest priority). */
const STALLED_NICE = 19;
/** Nice value of an isolated pod's executor. */
export const ISOLATED_NICE = 10;

/** Dependencies of {@link StallWatchdog}. */
export interface StallWatchdogDeps {
  /** Busy with one request (or run) this long is stalled. */
  stallMs: number;
  logger: Logger;
  /** The shared executors to watch now (fixed and overflow ones). */
  shared(): readonly Executor[];
  /** Dedicated executors of isolated pods: only their priority follows their stalls. */
  isolated: ReadonlySet<Executor>;
  /** A stall ended: an executor may be available again. */
  onRecovered(): void;
  /** After every round of checks, with the time they used. */
  onTick(now: number): void;
  /** Whether `e`'s guest is finishing within a grace period now (see the file comment). */
  finishing(e: Executor, now: number): boolean;
}

/** Flags stalled executors and lowers their priority (see the file comment). */
export class StallWatchdog {
  readonly #deps: StallWatchdogDeps;
  readonly #timer: NodeJS.Timeout;
  /** Stalled executors kept at their priority because their guest is finishing within its grace. */
  readonly #spared = new WeakSet<Executor>();

  constructor(deps: StallWatchdogDeps) {
    this.#deps = deps;
    this.#timer = setInterval(() => this.#tick(), Math.max(10, deps.stallMs / 2));
    this.#timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    for (const e of this.#deps.isolated) this.#checkIsolated(e, now);
    for (const e of this.#deps.shared().slice()) this.#checkShared(e, now);
    this.#deps.onTick(now);
  }

  #spare(e: Executor, finishing: boolean): void {
    if (finishing) this.#spared.add(e);
    else this.#spared.delete(e);
  }

  #checkIsolated(e: Executor, now: number): void {
    // busyFor is 0 while the guest waits for an outgoing call: not computing, so not stalled.
    const stalled = e.busyFor(now) >= this.#deps.stallMs;
    const finishing = stalled && this.#deps.finishing(e, now);
    if (stalled === e.stalled && finishing === this.#spared.has(e)) return;
    e.stalled = stalled;
    this.#spare(e, finishing);
    e.setNice(stalled && !finishing ? STALLED_NICE : ISOLATED_NICE);
  }

  #checkShared(e: Executor, now: number): void {
    if (!e.alive) return;
    if (e.isWaiting()) {
      // Its guest waits for an outgoing call, computing nothing: not stalled, and when it resumes it
      // must not crawl at the lowest priority (its caller's deadline is running). If the priority
      // cannot be raised back, it stays flagged until it is idle (see below).
      if (e.stalled && e.setNice(0)) e.stalled = false;
      return;
    }
    if (e.busyFor(now) >= this.#deps.stallMs) {
      const finishing = this.#deps.finishing(e, now);
      if (!e.stalled) {
        e.stalled = true;
        this.#spare(e, finishing);
        if (!finishing) e.setNice(STALLED_NICE);
        this.#deps.logger.debug(
          { executor: e.id, activity: e.activity() },
          'wasm executor stalled; withdrawing its queue',
        );
      } else if (finishing !== this.#spared.has(e)) {
        // Its grace began, or ended with the guest still computing.
        this.#spare(e, finishing);
        e.setNice(finishing ? 0 : STALLED_NICE);
      }
      // Again on every tick: pools may still have sent to idle instances living there.
      e.withdrawQueued();
    } else if (e.stalled) {
      this.#spared.delete(e);
      // Raising a priority back needs CAP_SYS_NICE: without it, start afresh instead — once idle,
      // so as not to kill what it runs now.
      if (e.setNice(0)) e.stalled = false;
      else if (!e.busy) void e.terminate('its priority could not be restored after a stall');
      else return;
      this.#deps.onRecovered();
    }
  }
}

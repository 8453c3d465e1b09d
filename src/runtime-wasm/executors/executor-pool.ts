/**
 * The runtime's executors: a fixed set of shared workers (about one per core) that host the
 * instances of every ordinary pod, *overflow* shared workers started while the fixed ones are all
 * blocked in outgoing calls, plus dedicated workers on demand (for isolated pods, commands and
 * one-off execs). A shared executor that is lost is replaced at once, so placement always finds
 * live ones; the owners of the instances it held re-create them (see pools/instance-pool.ts). Which
 * shared executors exist (fixed, overflow; replacement, retirement) is shared-executors.ts's.
 *
 * A shared executor is *available* unless it is stalled or blocked:
 * - *Stalled*: computing one thing for `stallMs` (stall-watchdog.ts): its queue is withdrawn, its
 *   priority lowered, and placement avoids it until the stall ends.
 * - *Blocked*: its guest waits for an outgoing HTTP call. It takes no CPU (its priority stays), but
 *   it can run nothing else until the answer comes, and the answer may need another pod of this very
 *   runtime. Its queued requests are withdrawn at once, placement avoids it, and when no shared
 *   executor is available an overflow one is started (up to `maxShared` shared executors in all);
 *   overflow executors retire after `overflowIdleMs` with nothing to do. Which requests may take an
 *   executor that could block is counted by caller-accounting.ts and decided by pools/admission.ts.
 *   When every shared executor is blocked all the same, a nested request may get a *rescue*
 *   executor of its own beyond `maxShared` (rescue-executors.ts).
 *
 * Pools that must wait for an available executor register with {@link ExecutorPool.whenAvailable};
 * they are called back when one may be (an answer came, a stall ended, an executor started) and on
 * every watchdog tick while they wait.
 *
 * Nothing runs before it is needed (issue 20: an idle agent holds no worker, ~20 MB each): the
 * shared executors and the watchdog start with the first {@link ExecutorPool.pick} or
 * {@link ExecutorPool.dedicated}, and {@link ExecutorPool.release} ends them all when the runtime
 * has nothing left on them. How {@link ExecutorPool.pick} ranks them is executor-rank.ts's; the
 * options are in executor-pool-options.ts.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Logger } from '../../api/index.js';
import { AvailabilityWaiters } from './availability-waiters.js';
import { SharedExecutors } from './shared-executors.js';
import { Executor, type ExecutorOptions } from './executor.js';
import type { OutgoingDispatch } from '../outgoing/outgoing-dispatch.js';
import type { ExecutorCounts, ExecutorPoolOptions } from './executor-pool-options.js';
import { rankExecutors } from './executor-rank.js';
import { CallerAccounting } from './caller-accounting.js';
import { RescueExecutors } from './rescue-executors.js';
import { ISOLATED_NICE, StallWatchdog } from './stall-watchdog.js';

export type { ExecutorCounts, ExecutorPoolOptions };

/** Shared, overflow and dedicated executors, their replacement after a loss, and the watchdog. */
export class ExecutorPool {
  readonly #sharedSet: SharedExecutors;
  readonly #dedicated = new Set<Executor>();
  /** Dedicated executors of isolated pods (watched for stalls too, to lower their priority). */
  readonly #isolated = new Set<Executor>();
  readonly #waiters: AvailabilityWaiters;
  /** Executors whose guest finishes within a grace period, until when (see {@link finishing}). */
  readonly #finishing = new WeakMap<Executor, number>();
  readonly #logger: Logger;
  readonly #maxShared: number;
  readonly #outgoing: OutgoingDispatch | undefined;
  /** Running while executors are (see {@link ExecutorPool.release}). */
  #watchdog: StallWatchdog | undefined;
  /**
   * Workers are started in this scope, never in the caller's: a worker started while the node's
   * handler delivers a call would otherwise carry that call's depth (outgoing-dispatch.ts) into
   * every message it ever sends.
   */
  readonly #scope = new AsyncResource('EdgeplaneExecutorPool');
  /** The caller requests and call depths over every pool (for admission). */
  readonly calls = new CallerAccounting();
  /** Workers of their own for nested requests when every shared one is blocked (rescue-executors.ts). */
  readonly rescue: RescueExecutors;
  /** A shared executor busy with one thing this long is stalled. */
  readonly stallMs: number;
  /** Executors kept for nested requests: see {@link reserve}. */
  readonly reserve: number;
  #closed = false;
  /** Guest execution time on every executor so far, in ns (utilisation: its rate over the executors). */
  guestNanoSeconds = 0;

  constructor(opts: ExecutorPoolOptions) {
    this.#logger = opts.logger;
    this.#outgoing = opts.outgoing;
    const size = Math.max(1, opts.size ?? Executor.defaultCount());
    this.#maxShared = Math.max(size, opts.maxShared ?? 4 * size);
    this.#sharedSet = new SharedExecutors({
      size,
      maxShared: this.#maxShared,
      overflowIdleMs: opts.overflowIdleMs ?? 10_000,
      logger: opts.logger,
      start: (onGone) => this.#start(false, onGone),
    });
    this.rescue = new RescueExecutors({
      max: size,
      logger: opts.logger,
      start: (onGone) => this.#start(true, onGone),
    });
    this.reserve = Math.min(Math.max(2, size), this.#maxShared - 1);
    this.stallMs = opts.stallMs ?? 100;
    this.#waiters = new AvailabilityWaiters(opts.logger);
  }

  /** Executor worker threads alive now: shared, overflow and dedicated. */
  get threads(): number {
    let n = 0;
    for (const e of [...this.#all(), ...this.#dedicated, ...this.rescue.alive]) if (e.alive) n++;
    return n;
  }

  /** Whether executor threads (or the watchdog) run now: false before the first use and after {@link release}. */
  get running(): boolean {
    return this.#watchdog !== undefined;
  }

  /**
   * Ends every executor when none holds an instance or has work pending and no dedicated one runs
   * (the runtime calls it when its last container is removed); the next {@link pick} or
   * {@link dedicated} starts them again. Returns whether it did.
   */
  async release(): Promise<boolean> {
    if (!this.#watchdog || this.#dedicated.size + this.rescue.alive.size > 0 || this.#waiters.size > 0) return false;
    if (this.#all().some((e) => e.alive && (e.instanceCount > 0 || e.busy))) return false;
    this.#watchdog.stop();
    this.#watchdog = undefined;
    const all = this.#sharedSet.takeAll(false);
    this.#logger.debug({ executors: all.length }, 'no wasm container left: executor threads ended');
    await Promise.all(all.map((e) => e.terminate('no wasm container left')));
    return true;
  }

  /** Starts the shared executors and the watchdog if they do not run (first use, or after a release). */
  #ensureRunning(): void {
    if (this.#closed || this.#watchdog) return;
    this.#watchdog = new StallWatchdog({
      stallMs: this.stallMs,
      logger: this.#logger,
      shared: () => this.#all(),
      isolated: this.#isolated,
      onRecovered: () => this.#notify(),
      onTick: (now) => this.#tick(now),
      finishing: (e, now) => (this.#finishing.get(e) ?? 0) > now,
    });
    this.#sharedSet.startFixed();
  }

  /** The fixed shared executors (live ones; overflow ones not included). */
  get shared(): readonly Executor[] {
    return this.#sharedSet.fixed;
  }

  /** Overflow and rescue executors running now, and those started (or replaced) so far (for tests and figures). */
  get counts(): ExecutorCounts {
    const { overflow, overflowStarts, replacements } = this.#sharedSet;
    const rescue = this.rescue.alive.size;
    return { overflow: overflow.length, overflowStarts, rescue, rescueStarts: this.rescue.starts, replacements };
  }

  /** Shared executors flagged stalled right now. */
  get stalledCount(): number {
    return this.#all().filter((e) => e.alive && e.stalled).length;
  }

  /** Outgoing calls waiting for an answer, over every executor. */
  get pendingOutgoingCalls(): number {
    let n = 0;
    for (const e of [...this.#all(), ...this.#dedicated, ...this.rescue.alive]) n += e.outgoing.size;
    return n;
  }

  /** Whether a shared executor can take work now: alive, not stalled, not blocked in an outgoing call. */
  available(e: Executor): boolean {
    return e.alive && !e.stalled && !e.blockedOutgoing;
  }

  /** Shared executors available now plus those that may still be started (0: none can take work). */
  spare(): number {
    let n = this.#sharedSet.unstarted;
    for (const e of this.#all()) if (this.available(e)) n++;
    return n;
  }

  /** Shared executors that could take work at most (started or not), stalled ones not counted. */
  capacity(): number {
    return this.#maxShared - this.stalledCount;
  }

  /** A request to a caller pod ended: its executor (or its place in the count) is free again. */
  callerEnded(): void {
    this.#waiters.notifySoon();
  }

  /** Whether no available shared executor has anything pending (nothing runs that could free another). */
  availableIdle(): boolean {
    return this.#all().every((e) => !this.available(e) || !e.busy);
  }

  /**
   * The shared executor with the lowest `load` (ties: fewest instances), preferring available ones,
   * then the fixed ones over overflow ones. Callers pass their own count of instances per executor,
   * so one pod's instances spread over the cores.
   */
  pick(load: (e: Executor) => number = () => 0): Executor {
    this.#ensureRunning();
    const overflow = this.#sharedSet.overflow;
    const best = rankExecutors(
      this.#all(),
      (e) => this.available(e),
      (e) => overflow.includes(e),
      load,
    );
    if (!best) throw new Error('no shared executor');
    return best;
  }

  /**
   * Like {@link pick}, but only an available executor: an overflow one is started when none is (up
   * to `maxShared`); undefined when none can be (wait with {@link whenAvailable}).
   */
  pickAvailable(load?: (e: Executor) => number): Executor | undefined {
    const e = this.pick(load);
    if (this.available(e)) return e;
    return this.#closed ? undefined : this.#sharedSet.startOverflow();
  }

  /**
   * `e`'s guest has `graceMs` to finish (its deadline failed its outgoing calls): the watchdog keeps
   * its priority meanwhile (see stall-watchdog.ts).
   */
  finishing(e: Executor, graceMs: number): void {
    this.#finishing.set(e, Date.now() + graceMs);
  }

  /** Calls `callback` once, when an executor may have become available (or at the next watchdog tick). */
  whenAvailable(callback: () => void): void {
    if (!this.#closed) this.#waiters.add(callback);
  }

  /** Forgets a callback registered with {@link whenAvailable}. */
  cancelWhenAvailable(callback: () => void): void {
    this.#waiters.delete(callback);
  }

  /**
   * A new worker of its own; the caller terminates it when done. An isolated pod's runs at a lower
   * priority, and at the lowest while stalled.
   */
  dedicated(isolated = false): Executor {
    this.#ensureRunning();
    const e = this.#start(true, (gone) => {
      this.#dedicated.delete(gone);
      this.#isolated.delete(gone);
    });
    if (isolated) {
      e.preferNice(ISOLATED_NICE);
      this.#isolated.add(e);
    }
    this.#dedicated.add(e);
    return e;
  }

  /** Terminates every executor. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watchdog?.stop();
    this.#watchdog = undefined;
    this.#waiters.clear();
    const all = [...this.#sharedSet.takeAll(true), ...this.#dedicated, ...this.rescue.takeAll()];
    this.#dedicated.clear();
    await Promise.all(all.map((e) => e.terminate('runtime closed')));
  }

  #all(): Executor[] {
    return this.#sharedSet.all();
  }

  #start(dedicated: boolean, onGone: ExecutorOptions['onGone']): Executor {
    const opts: ExecutorOptions = {
      dedicated,
      onGone,
      ...(this.#outgoing ? { outgoing: this.#outgoing } : {}),
      onOutgoingWait: (e) => {
        // Its queue would wait for the answer, which may need one of those very requests: send
        // them elsewhere now. A dedicated executor's requests have nowhere else to go.
        if (!e.dedicated) e.withdrawQueued();
      },
      onOutgoingDone: () => this.#notify(),
      onGuestTime: (ns) => (this.guestNanoSeconds += ns),
    };
    const e = this.#scope.runInAsyncScope(() => Executor.start(opts));
    if (!dedicated) queueMicrotask(() => this.#notify());
    return e;
  }

  #notify(): void {
    this.#waiters.notify();
  }

  /** After the watchdog's checks: retires idle overflow executors and wakes the waiters. */
  #tick(now: number): void {
    this.#sharedSet.retireIdle(now);
    // Waiters re-check on every tick too: admission depends on how busy the available executors are.
    this.#notify();
  }
}

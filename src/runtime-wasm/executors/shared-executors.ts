/**
 * The shared executors of an ExecutorPool (executor-pool.ts): the fixed ones (about one per core),
 * replaced at once when lost — after a back-off when they die as soon as they start, so a crash loop
 * does not spin — and the *overflow* ones started while no fixed one is available, up to `maxShared`
 * in all, retired once idle for `overflowIdleMs`.
 */
import type { Logger } from '../../api/index.js';
import type { Executor, ExecutorLoss, ExecutorOptions } from './executor.js';

/** Starts a shared executor that calls `onGone` when it is lost. */
export type StartShared = (onGone: ExecutorOptions['onGone']) => Executor;

/** Options of {@link SharedExecutors}. */
export interface SharedExecutorsOptions {
  size: number;
  maxShared: number;
  overflowIdleMs: number;
  logger: Logger;
  start: StartShared;
}

/** Fixed and overflow shared executors (see the file comment). */
export class SharedExecutors {
  readonly #o: SharedExecutorsOptions;
  readonly fixed: Executor[] = [];
  readonly overflow: Executor[] = [];
  /** Fixed executors replaced after a loss (for tests and figures). */
  replacements = 0;
  /** Overflow executors started so far (for tests and figures). */
  overflowStarts = 0;
  /** Fixed executors lost right after they started, in a row (a crash loop backs off). */
  #quickLosses = 0;
  #closed = false;

  constructor(opts: SharedExecutorsOptions) {
    this.#o = opts;
  }

  /** Fixed and overflow ones (the fixed array itself when there is no overflow one). */
  all(): Executor[] {
    return this.overflow.length === 0 ? this.fixed : [...this.fixed, ...this.overflow];
  }

  /** Starts the fixed executors (when none run). */
  startFixed(): void {
    this.#closed = false;
    for (let i = this.fixed.length; i < this.#o.size; i++)
      this.fixed.push(this.#o.start((gone, loss) => this.#replace(gone, loss)));
  }

  /** An overflow executor, unless `maxShared` run already. */
  startOverflow(): Executor | undefined {
    const { maxShared, logger, start } = this.#o;
    if (this.#closed || this.fixed.length + this.overflow.length >= maxShared) return undefined;
    const extra = start((gone) => {
      const i = this.overflow.indexOf(gone);
      if (i >= 0) this.overflow.splice(i, 1);
    });
    this.overflow.push(extra);
    this.overflowStarts++;
    logger.info(
      { executor: extra.id, overflow: this.overflow.length, max: maxShared },
      'no shared wasm executor available (blocked in outgoing calls or stalled); started an overflow executor',
    );
    return extra;
  }

  /** Shared executors not started yet that may be (up to `maxShared`). */
  get unstarted(): number {
    return this.#o.maxShared - this.fixed.length - this.overflow.length;
  }

  /** Retires the overflow executors idle for `overflowIdleMs` at `now`. */
  retireIdle(now: number): void {
    for (const e of this.overflow.slice()) {
      if (e.alive && e.idleFor(now) >= this.#o.overflowIdleMs) void e.terminate('idle overflow executor retired');
    }
  }

  /** Forgets them all (none is replaced from now on) and returns them, for the caller to terminate. */
  takeAll(closed: boolean): Executor[] {
    const all = [...this.fixed, ...this.overflow];
    this.fixed.length = 0;
    this.overflow.length = 0;
    this.#closed = closed;
    return all;
  }

  #replace(gone: Executor, loss: ExecutorLoss): void {
    if (this.#closed || !this.fixed.includes(gone)) return;
    this.replacements++;
    // A worker that dies as soon as it starts would be replaced in a tight loop: back off.
    this.#quickLosses = Date.now() - gone.startedAt < 1000 ? this.#quickLosses + 1 : 0;
    const delayMs = this.#quickLosses <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (this.#quickLosses - 2));
    const swap = (): void => {
      const i = this.fixed.indexOf(gone);
      if (i < 0 || this.#closed) return;
      const replacement = this.#o.start((g, l) => this.#replace(g, l));
      this.fixed[i] = replacement;
      this.#o.logger.warn(
        { executor: gone.id, replacement: replacement.id, reason: loss.reason, delayMs },
        'shared wasm executor replaced',
      );
    };
    if (delayMs === 0) swap();
    else setTimeout(swap, delayMs).unref();
  }
}

/**
 * The shared executors of an ExecutorPool (executor-pool.ts): the fixed ones (about one per core),
 * replaced at once when lost — after a back-off when they die as soon as they start, so a crash loop
 * does not spin — and the *overflow* ones started while no fixed one is available, up to `maxShared`
 * in all, retired once idle for `overflowIdleMs`.
 *
 * Beyond `maxShared`, up to `leafMax` more *leaf* executors (retired like overflow ones) may be
 * started for requests to pods that do not call out (leaves), and only for those: a leaf's request
 * never blocks an executor, so it always finishes and frees the chain of callers waiting for it.
 * Without them, callers blocked on every executor up to `maxShared` (a first burst of a deeper chain
 * than admission had seen) would wait for a leaf that could run nowhere, and be refused. Callers never
 * get one (pools/instance-pool.ts), so a loop of callers still ends at `maxShared` (pools/admission.ts),
 * and `maxShared + leafMax` is the hard ceiling of shared executors.
 */
import type { Logger } from '../../api/index.js';
import type { Executor, ExecutorLoss, ExecutorOptions } from './executor.js';

/** Starts a shared executor that calls `onGone` when it is lost. */
export type StartShared = (onGone: ExecutorOptions['onGone']) => Executor;

/** Options of {@link SharedExecutors}. */
export interface SharedExecutorsOptions {
  size: number;
  maxShared: number;
  /** Leaf executors at most, beyond `maxShared` (see the file comment). */
  leafMax: number;
  overflowIdleMs: number;
  logger: Logger;
  start: StartShared;
}

/** Fixed and overflow shared executors (see the file comment). */
export class SharedExecutors {
  readonly #o: SharedExecutorsOptions;
  readonly fixed: Executor[] = [];
  readonly overflow: Executor[] = [];
  /** Started beyond `maxShared`, for requests to leaf pods only (see the file comment). */
  readonly leaf: Executor[] = [];
  /** Fixed executors replaced after a loss (for tests and figures). */
  replacements = 0;
  /** Overflow executors started so far (for tests and figures). */
  overflowStarts = 0;
  /** Leaf executors started so far (for tests and figures). */
  leafStarts = 0;
  /** Fixed executors lost right after they started, in a row (a crash loop backs off). */
  #quickLosses = 0;
  #closed = false;

  constructor(opts: SharedExecutorsOptions) {
    this.#o = opts;
  }

  /** Fixed, overflow and leaf ones (the fixed array itself when there is no other). */
  all(): Executor[] {
    return this.leaf.length === 0 ? this.forCallers() : [...this.fixed, ...this.overflow, ...this.leaf];
  }

  /** Those that may take a request to a pod that calls out: fixed and overflow ones, not leaf ones. */
  forCallers(): Executor[] {
    return this.overflow.length === 0 ? this.fixed : [...this.fixed, ...this.overflow];
  }

  /** Starts the fixed executors (when none run). */
  startFixed(): void {
    this.#closed = false;
    for (let i = this.fixed.length; i < this.#o.size; i++)
      this.fixed.push(this.#o.start((gone, loss) => this.#replace(gone, loss)));
  }

  /**
   * An overflow executor, unless `maxShared` run already; then, `forLeaf` (for a request to a leaf
   * pod), a leaf executor unless `leafMax` of those run too.
   */
  startOverflow(forLeaf = false): Executor | undefined {
    const { maxShared, logger, start } = this.#o;
    if (this.#closed) return undefined;
    if (this.fixed.length + this.overflow.length >= maxShared) return forLeaf ? this.#startLeaf() : undefined;
    const extra = start((gone) => remove(this.overflow, gone));
    this.overflow.push(extra);
    this.overflowStarts++;
    logger.info(
      { executor: extra.id, overflow: this.overflow.length, max: maxShared },
      'no shared wasm executor available (blocked in outgoing calls or stalled); started an overflow executor',
    );
    return extra;
  }

  #startLeaf(): Executor | undefined {
    const { maxShared, leafMax, logger, start } = this.#o;
    if (this.leaf.length >= leafMax) return undefined;
    const extra = start((gone) => remove(this.leaf, gone));
    this.leaf.push(extra);
    this.leafStarts++;
    logger.info(
      { executor: extra.id, leaf: this.leaf.length, leafMax, maxShared },
      'every shared wasm executor up to maxShared is blocked in outgoing calls (or stalled); started a leaf executor beyond it for a pod that does not call out',
    );
    return extra;
  }

  /** Whether `e` is a leaf executor (see the file comment). */
  isLeaf(e: Executor): boolean {
    return this.leaf.length > 0 && this.leaf.includes(e);
  }

  /** Shared executors not started yet that may be (up to `maxShared`). */
  get unstarted(): number {
    return this.#o.maxShared - this.fixed.length - this.overflow.length;
  }

  /** Retires the overflow and leaf executors idle for `overflowIdleMs` at `now`. */
  retireIdle(now: number): void {
    for (const e of [...this.overflow, ...this.leaf]) {
      if (e.alive && e.idleFor(now) >= this.#o.overflowIdleMs) void e.terminate('idle overflow executor retired');
    }
  }

  /** Forgets them all (none is replaced from now on) and returns them, for the caller to terminate. */
  takeAll(closed: boolean): Executor[] {
    const all = [...this.fixed, ...this.overflow, ...this.leaf];
    this.fixed.length = 0;
    this.overflow.length = 0;
    this.leaf.length = 0;
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

/** Takes `e` out of `list`, if there. */
function remove(list: Executor[], e: Executor): void {
  const i = list.indexOf(e);
  if (i >= 0) list.splice(i, 1);
}

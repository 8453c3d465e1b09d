/**
 * The runtime's executors: a fixed set of shared workers (about one per core) that host the
 * instances of every ordinary pod, plus dedicated workers on demand (for isolated pods, commands and
 * one-off execs). A shared executor that is lost is replaced at once, so placement always finds
 * live ones; the owners of the instances it held re-create them (see InstancePool).
 *
 * A watchdog looks at the shared executors every `stallMs / 2`: one that has been busy with the same
 * thing for `stallMs` is *stalled* — a guest that loops, or computes for long. Its queued requests
 * are withdrawn (their pools send them elsewhere), placement avoids it, and its thread's priority is
 * lowered so it takes little CPU from the rest until it finishes or its deadline kills it. Executors
 * of isolated pods run at a lower priority all along.
 */
import type { Logger } from '../api/index.js';
import { Executor, type ExecutorLoss } from './executor.js';

/** Options of {@link ExecutorPool}. */
export interface ExecutorPoolOptions {
  /** Shared executors (default: one per core). */
  size?: number;
  /** A shared executor busy with one request (or run) this long is stalled (default 100 ms). */
  stallMs?: number;
  logger: Logger;
}

/** Nice value of a stalled shared executor's thread (the lowest priority). */
const STALLED_NICE = 19;
/** Nice value of an isolated pod's executor. */
export const ISOLATED_NICE = 10;

/** Shared and dedicated executors, their replacement after a loss, and the stall watchdog. */
export class ExecutorPool {
  readonly #shared: Executor[] = [];
  readonly #dedicated = new Set<Executor>();
  /** Dedicated executors of isolated pods (watched for stalls too, to lower their priority). */
  readonly #isolated = new Set<Executor>();
  readonly #logger: Logger;
  readonly #stallMs: number;
  readonly #watchdog: NodeJS.Timeout;
  #closed = false;
  /** Executors replaced after a loss (for tests and figures). */
  replacements = 0;
  /** Shared executors lost right after they started, in a row (a crash loop backs off). */
  #quickLosses = 0;

  constructor(opts: ExecutorPoolOptions) {
    this.#logger = opts.logger;
    const size = Math.max(1, opts.size ?? Executor.defaultCount());
    for (let i = 0; i < size; i++) this.#shared.push(this.#spawnShared());
    this.#stallMs = opts.stallMs ?? 100;
    this.#watchdog = setInterval(() => this.#checkStalls(), Math.max(10, this.#stallMs / 2));
    this.#watchdog.unref();
  }

  /** The live shared executors. */
  get shared(): readonly Executor[] {
    return this.#shared;
  }

  /**
   * The shared executor with the lowest `load` (ties: fewest instances). Callers pass their own
   * count of instances per executor, so one pod's instances spread over the cores.
   */
  pick(load: (e: Executor) => number = () => 0): Executor {
    let best: Executor | undefined;
    let bestKey = Infinity;
    for (const e of this.#shared) {
      if (!e.alive) continue;
      // A stalled executor only when every one is.
      const key = (e.stalled ? 1e12 : 0) + load(e) * 1e6 + e.instanceCount;
      if (key < bestKey) {
        best = e;
        bestKey = key;
      }
    }
    if (!best) throw new Error('no shared executor');
    return best;
  }

  /**
   * A new worker of its own; the caller terminates it when done. An isolated pod's runs at a lower
   * priority, and at the lowest while stalled.
   */
  dedicated(isolated = false): Executor {
    const e = Executor.start(true, (gone) => {
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
    clearInterval(this.#watchdog);
    const all = [...this.#shared, ...this.#dedicated];
    this.#shared.length = 0;
    this.#dedicated.clear();
    await Promise.all(all.map((e) => e.terminate('runtime closed')));
  }

  #checkStalls(): void {
    const now = Date.now();
    for (const e of this.#isolated) {
      const stalled = e.busyFor(now) >= this.#stallMs;
      if (stalled !== e.stalled) {
        e.stalled = stalled;
        e.setNice(stalled ? STALLED_NICE : ISOLATED_NICE);
      }
    }
    for (const e of [...this.#shared]) {
      if (!e.alive) continue;
      if (e.busyFor(now) >= this.#stallMs) {
        if (!e.stalled) {
          e.stalled = true;
          e.setNice(STALLED_NICE);
          this.#logger.debug({ executor: e.id, activity: e.activity() }, 'wasm executor stalled; withdrawing its queue');
        }
        // Again on every tick: pools may still have sent to idle instances living there.
        e.withdrawQueued();
      } else if (e.stalled) {
        e.stalled = false;
        // Raising a priority back needs CAP_SYS_NICE: without it, start afresh instead.
        if (!e.setNice(0)) void e.terminate('its priority could not be restored after a stall');
      }
    }
  }

  #spawnShared(): Executor {
    return Executor.start(false, (gone, loss) => this.#replace(gone, loss));
  }

  #replace(gone: Executor, loss: ExecutorLoss): void {
    if (this.#closed || !this.#shared.includes(gone)) return;
    this.replacements++;
    // A worker that dies as soon as it starts would be replaced in a tight loop: back off.
    this.#quickLosses = Date.now() - gone.startedAt < 1000 ? this.#quickLosses + 1 : 0;
    const delayMs = this.#quickLosses <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (this.#quickLosses - 2));
    const swap = (): void => {
      const i = this.#shared.indexOf(gone);
      if (i < 0 || this.#closed) return;
      this.#shared[i] = this.#spawnShared();
      this.#logger.warn({ executor: gone.id, replacement: this.#shared[i]!.id, reason: loss.reason, delayMs }, 'shared wasm executor replaced');
    };
    if (delayMs === 0) swap();
    else setTimeout(swap, delayMs).unref();
  }
}

/**
 * The skeleton of a periodic, level-triggered sweep (event expiry, blob collection, node lifecycle):
 * one run soon after `start()`, then one every interval after the previous run ended; a run never
 * overlaps another (`sweep()` joins the one under way); a failed run is logged and healed by the next.
 * `stop()` cancels the next run, signals the one under way to give up at its next check (its
 * `AbortSignal`), and resolves once it has ended.
 */
import type { Logger } from '../../api/index.js';
import { errorMessage } from '../../api/index.js';

/** What a {@link PeriodicSweep} runs, and how often. */
export interface PeriodicSweepOptions<T> {
  /** One run; should check `signal.aborted` between chunks of work. */
  run: (signal: AbortSignal) => Promise<T>;
  /** Time from the end of one run to the start of the next. */
  intervalMs: number;
  /** Time from `start()` to the first run (default `intervalMs`). */
  firstDelayMs?: number;
  logger: Logger;
  /** Logged (warn) when a scheduled run fails. */
  failureMessage: string;
}

/** Runs a sweep periodically; see the module comment for the contract. */
export class PeriodicSweep<T> {
  readonly #opts: PeriodicSweepOptions<T>;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #abort = new AbortController();
  #running: Promise<T> | undefined;

  constructor(opts: PeriodicSweepOptions<T>) {
    this.#opts = opts;
  }

  /** Starts sweeping: once after `firstDelayMs`, then every interval. */
  start(): void {
    this.#stopped = false;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#schedule(this.#opts.firstDelayMs ?? this.#opts.intervalMs);
  }

  /** Stops sweeping; a run under way gives up at its next check, and this resolves when it has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Runs one sweep now (joins one already running); resolves with its result. */
  sweep(): Promise<T> {
    this.#running ??= this.#opts.run(this.#abort.signal).finally(() => (this.#running = undefined));
    return this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.sweep()
        .catch((err: unknown) => this.#opts.logger.warn({ err: errorMessage(err) }, this.#opts.failureMessage))
        .finally(() => this.#schedule(this.#opts.intervalMs));
    }, ms);
    this.#timer.unref();
  }
}

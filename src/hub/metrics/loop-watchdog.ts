/**
 * Warns when the event loop is blocked: a timer that should fire every `intervalMs` and fires late
 * by more than `thresholdMs` means something held the loop that long (a long synchronous stretch,
 * as the fleet-scale profiles found). Warnings are rate-limited; every block is counted in metrics.
 */
import type { Logger } from '../../api/index.js';

/** Options of the watchdog (the defaults suit the hub). */
export interface LoopWatchdogOptions {
  logger: Logger;
  /** Called with every block's length in seconds (metrics). */
  onBlock?: (seconds: number) => void;
  /** Block length that is reported (default 200 ms). */
  thresholdMs?: number;
  /** Probe period (default 100 ms). */
  intervalMs?: number;
  /** At most one warning per this period (default 10 s); the rest are counted in the next one. */
  warnEveryMs?: number;
  /** Monotonic milliseconds (tests pass their own). */
  now?: () => number;
}

export class LoopWatchdog {
  readonly #o: Required<Omit<LoopWatchdogOptions, 'onBlock'>> & Pick<LoopWatchdogOptions, 'onBlock'>;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #lastWarn = -Infinity;
  #suppressed = 0;
  #longestSuppressedMs = 0;

  constructor(opts: LoopWatchdogOptions) {
    this.#o = {
      thresholdMs: 200,
      intervalMs: 100,
      warnEveryMs: 10_000,
      now: () => performance.now(),
      ...opts,
    };
  }

  start(): void {
    if (this.#timer) return;
    this.#last = this.#o.now();
    this.#timer = setInterval(() => this.check(), this.#o.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One probe (the timer's callback; tests call it with their clock). */
  check(): void {
    const now = this.#o.now();
    const lateMs = now - this.#last - this.#o.intervalMs;
    this.#last = now;
    if (lateMs < this.#o.thresholdMs) return;
    this.#o.onBlock?.(lateMs / 1000);
    if (now - this.#lastWarn < this.#o.warnEveryMs) {
      this.#suppressed++;
      this.#longestSuppressedMs = Math.max(this.#longestSuppressedMs, lateMs);
      return;
    }
    this.#o.logger.warn(
      {
        blockedMs: Math.round(lateMs),
        ...(this.#suppressed > 0
          ? { moreBlocks: this.#suppressed, longestOfThoseMs: Math.round(this.#longestSuppressedMs) }
          : {}),
      },
      'event loop blocked',
    );
    this.#lastWarn = now;
    this.#suppressed = 0;
    this.#longestSuppressedMs = 0;
  }
}

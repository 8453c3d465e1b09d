/**
 * Bounded admission: at most `maxConcurrent` hellos are registered at once and `maxQueued` more
 * wait in order; past that a newcomer is told how long to wait before redialing. The delay is the time
 * the queue ahead of it needs at the pace admissions finished over the last few seconds, jittered, so
 * refused nodes come back spread out rather than all at once, and no later than the hub can take them.
 * Before any admission has finished the pace is taken as `maxConcurrent` a second.
 *
 * Measured, not assumed: with the assumed pace a 5,000-node storm told its last nodes to wait 16–50 s
 * while the hub, admitting ~150 a second, sat idle a quarter of the time (issue 14).
 */

/** Bounds of concurrent admission. */
export interface AdmissionLimits {
  maxConcurrent: number;
  maxQueued: number;
  /** Least and most a refused node is told to wait. */
  minRetryMs: number;
  maxRetryMs: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  maxConcurrent: 64,
  maxQueued: 2048,
  minRetryMs: 2000,
  maxRetryMs: 60_000,
};

/** How far back finished admissions count toward the pace. */
const PACE_WINDOW_MS = 5000;

/** A place in admission: wait for `ready`, then `release` once registered (or refused). */
export interface AdmissionSlot {
  ready: Promise<void>;
  release(): void;
}

/** Counts admissions in flight and queues the rest. */
export class AdmissionSlots {
  readonly #limits: AdmissionLimits;
  readonly #random: () => number;
  readonly #now: () => number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  /** When admissions finished within the pace window (ms of `now`), oldest first. */
  readonly #finished: number[] = [];

  /** `now`: milliseconds, monotonic (default `performance.now`). */
  constructor(
    limits: Partial<AdmissionLimits> = {},
    random: () => number = Math.random,
    now: () => number = () => performance.now(),
  ) {
    this.#limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits };
    this.#random = random;
    this.#now = now;
  }

  /** Admissions finished a second, over the pace window; undefined before the first one. */
  pace(): number | undefined {
    const now = this.#now();
    this.#forgetBefore(now - PACE_WINDOW_MS);
    if (this.#finished.length === 0) return undefined;
    // Over the window, or over the time since the oldest one kept (at least a second) early in a storm.
    const spanMs = Math.min(PACE_WINDOW_MS, Math.max(1000, now - this.#finished[0]!));
    return (this.#finished.length * 1000) / spanMs;
  }

  /** Drops finish times before `t` (kept bounded by the window, whether or not `pace` is asked). */
  #forgetBefore(t: number): void {
    let drop = 0;
    while (drop < this.#finished.length && this.#finished[drop]! < t) drop++;
    if (drop > 0) this.#finished.splice(0, drop);
  }

  /** Admissions running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** A slot (possibly after a wait), or how long to wait before trying again when the queue is full. */
  acquire(): AdmissionSlot | { retryAfterMs: number } {
    const { maxConcurrent, maxQueued, minRetryMs, maxRetryMs } = this.#limits;
    if (this.#running >= maxConcurrent && this.#waiting.length >= maxQueued) {
      // The time the queue ahead needs at the measured pace, jittered ±50%.
      const perSecond = this.pace() ?? Math.max(1, maxConcurrent);
      const needMs = Math.ceil(((this.#waiting.length + this.#running) / perSecond) * 1000);
      const base = Math.min(maxRetryMs, Math.max(minRetryMs, needMs));
      return { retryAfterMs: Math.round(Math.min(maxRetryMs, base * (0.5 + this.#random()))) };
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const now = this.#now();
      this.#finished.push(now);
      this.#forgetBefore(now - PACE_WINDOW_MS);
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
    if (this.#running < maxConcurrent) {
      this.#running++;
      return { ready: Promise.resolve(), release };
    }
    return { ready: new Promise<void>((resolve) => this.#waiting.push(resolve)), release };
  }
}

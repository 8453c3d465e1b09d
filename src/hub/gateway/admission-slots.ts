/**
 * Bounded admission: at most `maxConcurrent` hellos are registered at once and `maxQueued` more
 * wait in order; past that a newcomer is told how long to wait before redialing. The delay grows with
 * the queue (the time the waiting ones need at the current pace) and is jittered, so refused nodes
 * come back spread out rather than all at once.
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

/** A place in admission: wait for `ready`, then `release` once registered (or refused). */
export interface AdmissionSlot {
  ready: Promise<void>;
  release(): void;
}

/** Counts admissions in flight and queues the rest. */
export class AdmissionSlots {
  readonly #limits: AdmissionLimits;
  readonly #random: () => number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limits: Partial<AdmissionLimits> = {}, random: () => number = Math.random) {
    this.#limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits };
    this.#random = random;
  }

  /** Admissions running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** A slot (possibly after a wait), or how long to wait before trying again when the queue is full. */
  acquire(): AdmissionSlot | { retryAfterMs: number } {
    const { maxConcurrent, maxQueued, minRetryMs, maxRetryMs } = this.#limits;
    if (this.#running >= maxConcurrent && this.#waiting.length >= maxQueued) {
      // Roughly how many admission rounds the queue needs, at least a second each, jittered ±50%.
      const rounds = Math.ceil((this.#waiting.length + this.#running) / Math.max(1, maxConcurrent));
      const base = Math.min(maxRetryMs, Math.max(minRetryMs, rounds * 1000));
      return { retryAfterMs: Math.round(Math.min(maxRetryMs, base * (0.5 + this.#random()))) };
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
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

/**
 * The pools waiting for an available executor (ExecutorPool.whenAvailable): each callback is called
 * once, at the next notification — an answer came, a stall ended, an executor started, a watchdog
 * tick — and must register again if it still waits.
 */
import { errorMessage, type Logger } from '../../api/index.js';

/** Callbacks waiting for an executor to become available (see the file comment). */
export class AvailabilityWaiters {
  readonly #waiters = new Set<() => void>();
  readonly #logger: Logger;
  #queued = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Callbacks waiting now. */
  get size(): number {
    return this.#waiters.size;
  }

  add(callback: () => void): void {
    this.#waiters.add(callback);
  }

  delete(callback: () => void): void {
    this.#waiters.delete(callback);
  }

  clear(): void {
    this.#waiters.clear();
  }

  /** Calls (and forgets) every waiting callback now. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) {
      try {
        w();
      } catch (err) {
        this.#logger.error({ err: errorMessage(err) }, 'executor availability callback threw');
      }
    }
  }

  /** {@link notify} once at the end of this turn, however many times it is asked for in it. */
  notifySoon(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      this.notify();
    });
  }
}

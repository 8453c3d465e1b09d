/**
 * How long the session waits before its next dial: what the hub asked for when busy, the long wait
 * after a refused credential, or the jittered back-off. The first redial after losing a welcomed
 * connection is spread at random over up to `spreadMs`, so a fleet that lost its hub at once does not
 * come back at once.
 */
import { Backoff } from '../backoff.js';
import type { SessionBackoff } from './hub-session-deps.js';

/** The session's redial delays. */
export class RedialPolicy {
  private readonly backoff: Backoff;
  /** A delay the hub asked for (`Busy`), used for the next redial instead of the back-off. */
  private retryAfterMs: number | undefined;

  constructor(private readonly tuning: SessionBackoff) {
    this.backoff = new Backoff({ initialMs: tuning.initialMs, maxMs: tuning.maxMs, jitter: 1 });
  }

  /** The hub is busy and asked to be dialed again after `ms` (once). */
  busy(ms: number | undefined): void {
    this.retryAfterMs = ms;
  }

  /** A connection stayed up long enough: the back-off starts over. */
  reset(): void {
    this.backoff.reset();
  }

  /**
   * The delay before dialing another hub while some hub of the list has not failed yet: short and
   * jittered, without growing the back-off (a `Busy` hub's wait is for that hub only, so it is dropped).
   */
  another(): number {
    this.retryAfterMs = undefined;
    return Math.round(this.tuning.initialMs * (0.5 + Math.random()));
  }

  /** The delay before the next dial, after a connection that closed with `code`. */
  next(wasWelcomed: boolean, code: number, unauthorized: boolean): number {
    if (unauthorized) return this.tuning.unauthorizedMs;
    const asked = this.retryAfterMs;
    this.retryAfterMs = undefined;
    const backoff = this.backoff.next();
    if (asked !== undefined) return Math.round(asked * (0.9 + 0.2 * Math.random()));
    // 1013 "try again later" from a hub that could not say how long: at least the spread.
    if (code === 1013) return Math.max(backoff, Math.round(Math.random() * this.tuning.spreadMs));
    if (wasWelcomed) return Math.round(Math.random() * Math.min(this.tuning.spreadMs, this.tuning.maxMs));
    return backoff;
  }
}

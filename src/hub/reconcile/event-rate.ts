/**
 * How fast Events may be written. An Event is a store write like any other, so recording one per
 * pod decision (the scheduler's `Scheduled`) costs a rollout as much as a fifth of its writes — in a
 * 1,000-node, 100,000-pod rollout, ~12% of its rate. Kubernetes' components bound the same cost: the
 * kubelet's `--event-qps`/`--event-burst` (50/s, burst 100), kube-scheduler's client at 50 queries a
 * second, and client-go's event broadcaster drops what its queue cannot hold. Events are best-effort
 * there and here: past the rate, they are dropped and counted, never queued to be written stale.
 */
import type { Logger } from '../../api/index.js';

/** Events per second, and how many may be written at once before the rate applies. */
export interface EventRate {
  perSecond: number;
  burst: number;
}

/** The hub's own Events (controllers, scheduler): the kubelet's `--event-qps`/`--event-burst` defaults. */
export const DEFAULT_EVENT_RATE: EventRate = { perSecond: 50, burst: 100 };

/** A token bucket: `burst` tokens, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: EventRate,
    private readonly now: () => number,
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket has refilled completely (keeping it tells nothing a fresh one would not). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.rate.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + (Math.max(0, t - this.last) / 1000) * this.rate.perSecond);
    this.last = t;
  }
}

/** Checks `rate` (a positive rate, a burst of at least one), naming what is wrong. */
export function checkEventRate(rate: EventRate, what: string): EventRate {
  if (!(rate.perSecond > 0) || !(rate.burst >= 1))
    throw new RangeError(`${what} needs perSecond > 0 and burst >= 1, got ${rate.perSecond}/s, burst ${rate.burst}`);
  return rate;
}

/** How often a run of drops is reported while it lasts. */
const REPORT_EVERY_MS = 10_000;

/**
 * One rate for all the Events a hub's recorders write (shared by `EventRecorder`s made from one
 * another). Drops are logged as a count at most every ten seconds, the first one at once — never one
 * line per dropped Event, nor per token while a rollout keeps the rate spent; `dropped` counts them
 * all (`/metrics`).
 */
export class EventRateLimit {
  readonly #bucket: TokenBucket;
  readonly #rate: EventRate;
  readonly #now: () => number;
  #unreported = 0;
  #reportedAt = -Infinity;
  #dropped = 0;

  constructor(
    private readonly logger: Logger,
    rate: Partial<EventRate> = {},
    now: () => number = Date.now,
  ) {
    this.#rate = checkEventRate({ ...DEFAULT_EVENT_RATE, ...rate }, 'the event rate');
    this.#now = now;
    this.#bucket = new TokenBucket(this.#rate, now);
  }

  /** True when one more Event may be written now; otherwise it is counted as dropped. */
  allow(): boolean {
    const allowed = this.#bucket.take();
    if (!allowed) {
      this.#dropped++;
      this.#unreported++;
    }
    if (this.#unreported > 0) {
      const now = this.#now();
      if (now - this.#reportedAt >= REPORT_EVERY_MS) {
        const since =
          this.#reportedAt === -Infinity ? '' : ` in the last ${Math.round((now - this.#reportedAt) / 1000)} s`;
        this.logger.warn(
          { dropped: this.#unreported, perSecond: this.#rate.perSecond, burst: this.#rate.burst },
          `events are recorded faster than the event rate (--event-qps, --event-burst): dropped ${this.#unreported}${since}`,
        );
        this.#unreported = 0;
        this.#reportedAt = now;
      }
    }
    return allowed;
  }

  /** Events dropped since the start. */
  get dropped(): number {
    return this.#dropped;
  }
}

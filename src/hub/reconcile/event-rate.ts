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

/**
 * One rate for all the Events a hub's recorders write (shared by `EventRecorder`s made from one
 * another). The first drop of a burst is logged, and the count once Events flow again — never one line
 * per dropped Event; `dropped` counts them all (`/metrics`).
 */
export class EventRateLimit {
  readonly #bucket: TokenBucket;
  readonly #rate: EventRate;
  #droppedNow = 0;
  #dropped = 0;

  constructor(
    private readonly logger: Logger,
    rate: Partial<EventRate> = {},
    now: () => number = Date.now,
  ) {
    this.#rate = checkEventRate({ ...DEFAULT_EVENT_RATE, ...rate }, 'the event rate');
    this.#bucket = new TokenBucket(this.#rate, now);
  }

  /** True when one more Event may be written now; otherwise it is counted as dropped. */
  allow(): boolean {
    if (this.#bucket.take()) {
      if (this.#droppedNow > 0) {
        this.logger.warn({ dropped: this.#droppedNow }, `dropped ${this.#droppedNow} events over the event rate`);
        this.#droppedNow = 0;
      }
      return true;
    }
    this.#dropped++;
    if (this.#droppedNow++ === 0)
      this.logger.warn(
        { perSecond: this.#rate.perSecond, burst: this.#rate.burst },
        'events are recorded faster than the event rate (--event-qps, --event-burst); dropping them until it slows down',
      );
    return false;
  }

  /** Events dropped since the start. */
  get dropped(): number {
    return this.#dropped;
  }
}

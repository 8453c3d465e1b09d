/**
 * Exponential back-off, as the kubelet uses for container restarts and image pulls and as the hub
 * session uses for redials. Pure arithmetic: callers own the timers, so tests drive it directly.
 */

/** Parameters of an exponential back-off. */
export interface BackoffOptions {
  /** First delay. */
  initialMs: number;
  /** Ceiling of the delay. */
  maxMs: number;
  /** Growth per step (default 2). */
  factor?: number;
  /** Random spread as a fraction of the delay (0..1, default 0): `delay * (1 ± jitter/2)`. */
  jitter?: number;
  /** Source of randomness for the jitter (tests pin it). */
  random?: () => number;
  /**
   * The first `next()` after construction or `reset()` returns 0 (and arms the back-off), as the
   * kubelet restarts a crashed container at once the first time and backs off only if it crashes again.
   */
  immediateFirst?: boolean;
}

/** Delays growing `initialMs, initialMs*factor, …` up to `maxMs`; `reset()` starts over. */
export class Backoff {
  private readonly opts: Required<BackoffOptions>;
  private current: number;
  private armed: boolean;

  constructor(opts: BackoffOptions) {
    this.opts = { factor: 2, jitter: 0, random: Math.random, immediateFirst: false, ...opts };
    this.current = opts.initialMs;
    this.armed = !this.opts.immediateFirst;
  }

  /** The delay to wait now; the following call returns the next larger one. */
  next(): number {
    if (!this.armed) {
      this.armed = true;
      return 0;
    }
    const base = this.current;
    this.current = Math.min(this.opts.maxMs, this.current * this.opts.factor);
    if (this.opts.jitter <= 0) return base;
    const spread = base * this.opts.jitter;
    return Math.max(0, Math.round(base - spread / 2 + this.opts.random() * spread));
  }

  /** The delay the next `next()` returns, without jitter. */
  peek(): number {
    return this.current;
  }

  /** Back to `initialMs`. */
  reset(): void {
    this.current = this.opts.initialMs;
    this.armed = !this.opts.immediateFirst;
  }
}

/** Formats a duration the way Go's `time.Duration` prints it (`10s`, `1m20s`, `5m0s`, `250ms`), as kubelet messages do. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Math.round((totalSeconds % 60) * 1000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

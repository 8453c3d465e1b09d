/**
 * How often this hub's nodes beat. A small fleet beats at the hub's `--heartbeat-interval` (2 s: a dead
 * node is noticed in seconds). A fleet larger than the heartbeat budget allows beats more slowly, so
 * the hub hears at most `--max-heartbeats-per-second` beats a second whatever the fleet's size: an
 * idle hub's cost is its frames (TLS records and socket reads, ~50 µs each at 10,000 nodes; issue 14),
 * and 10,000 nodes at 2 s were ~45% of a core doing nothing. Nomad's servers do the same with their
 * clients' heartbeat TTL (`max_heartbeats_per_second`).
 *
 * The price is detection time, and it is paid only by fleets past the budget: the node grace period
 * scales with the interval (`graceScale`), so 10,000 nodes at the default budget of 500 beat about
 * every 20 s (19–20 s, as the damped steps fall) and a silent one is NotReady after ~100 s, not 10 s.
 *
 * Changes are damped: the interval moves only when the fleet's size calls for one at least 25% off
 * (a node coming or going does not re-pace 10,000 others). A node told a new interval may still be on
 * its old one until the frame reaches it, so a retired interval keeps counting towards the grace
 * period for two of its own lengths after the change.
 */

/** What the pace is computed from. */
export interface HeartbeatPaceOptions {
  /** The interval of a fleet within the budget (the hub's `--heartbeat-interval`), in seconds. */
  baseSeconds: number;
  /** Most heartbeats a second the hub takes from its nodes; 0 or Infinity: no budget (always the base). */
  maxPerSecond: number;
  /** Longest interval the pace goes to, in seconds (default 60). */
  maxSeconds?: number;
  /** Milliseconds now (the hub's clock). */
  now: () => number;
}

/** The hub's default heartbeat budget (`--max-heartbeats-per-second`): 10,000 nodes beat about every 20 s. */
export const DEFAULT_MAX_HEARTBEATS_PER_SECOND = 500;

/** Relative change of the fleet's ideal interval below which the pace stays where it is. */
const DAMPING = 1.25;

/** The fleet's heartbeat interval, from its size (see the module comment). */
export class HeartbeatPace {
  readonly #opts: HeartbeatPaceOptions;
  readonly #maxSeconds: number;
  #seconds: number;
  /** Intervals left behind, each with the time until which a node may still beat at it. */
  #retired: Array<{ seconds: number; until: number }> = [];

  constructor(opts: HeartbeatPaceOptions) {
    this.#opts = opts;
    this.#maxSeconds = Math.max(opts.baseSeconds, opts.maxSeconds ?? 60);
    this.#seconds = opts.baseSeconds;
  }

  /** The interval of a fleet within the budget (`--heartbeat-interval`), in seconds. */
  get baseSeconds(): number {
    return this.#opts.baseSeconds;
  }

  /** The interval nodes are told now, in seconds. */
  get seconds(): number {
    return this.#seconds;
  }

  /** The interval a fleet of `nodes` should beat at: the base, or whole seconds that keep it in the budget. */
  ideal(nodes: number): number {
    const { baseSeconds, maxPerSecond } = this.#opts;
    if (!(maxPerSecond > 0) || !Number.isFinite(maxPerSecond)) return baseSeconds;
    const needed = nodes / maxPerSecond;
    if (needed <= baseSeconds) return baseSeconds;
    return Math.min(this.#maxSeconds, Math.ceil(needed));
  }

  /**
   * The fleet now has `nodes` nodes: the new interval when the pace moves (the caller tells the
   * nodes), undefined when it stays.
   */
  resize(nodes: number): number | undefined {
    const ideal = this.ideal(nodes);
    const current = this.#seconds;
    if (ideal === current) return undefined;
    const far = ideal >= current * DAMPING || ideal * DAMPING <= current;
    // Back to the base only when the fleet is well within the budget again (the damping below it).
    if (!far) return undefined;
    const now = this.#opts.now();
    this.#retired = this.#retired.filter((r) => r.until > now);
    this.#retired.push({ seconds: current, until: now + 2 * current * 1000 });
    this.#seconds = ideal;
    return ideal;
  }

  /**
   * How many times the base interval the longest interval a node may be beating at is: the node
   * grace period is multiplied by it (1 within the budget).
   */
  graceScale(): number {
    const now = this.#opts.now();
    let longest = this.#seconds;
    for (const r of this.#retired) if (r.until > now && r.seconds > longest) longest = r.seconds;
    return longest / this.#opts.baseSeconds;
  }
}

/**
 * Rate limit of the Events a node may record. Each distinct event message becomes an Event row kept
 * for the event TTL, so without a limit one node could grow the hub's store as fast as it can send
 * frames. Like the kubelet's `--event-qps`/`--event-burst`, a token bucket per node: past it events
 * are dropped and counted; the first drop of a burst is logged, and the count when the node's events
 * flow again or the node disconnects (never one line per dropped event).
 */
import type { Logger } from '../../api/index.js';
import { TokenBucket, checkEventRate, type EventRate } from '../reconcile/index.js';

/** Events per second a node may record, and how many it may send at once (default 5/s, burst 50). */
export type NodeEventRate = EventRate;

export const DEFAULT_NODE_EVENT_RATE: NodeEventRate = { perSecond: 5, burst: 50 };

interface NodeState {
  bucket: TokenBucket;
  dropped: number;
}

/** Per-node event buckets of the gateway. */
export class NodeEventLimiter {
  private readonly nodes = new Map<string, NodeState>();
  private readonly rate: NodeEventRate;

  constructor(
    private readonly logger: Logger,
    rate: Partial<NodeEventRate> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.rate = checkEventRate({ ...DEFAULT_NODE_EVENT_RATE, ...rate }, 'node event rate');
  }

  /** True when `node` may record one more event now; otherwise the event is counted as dropped. */
  allow(node: string): boolean {
    let state = this.nodes.get(node);
    if (!state) {
      state = { bucket: new TokenBucket(this.rate, this.now), dropped: 0 };
      this.nodes.set(node, state);
    }
    if (state.bucket.take()) {
      if (state.dropped > 0) this.report(node, state, 'node events flow again');
      return true;
    }
    if (state.dropped++ === 0) {
      this.logger.warn(
        { node, perSecond: this.rate.perSecond, burst: this.rate.burst },
        'node sends events faster than its rate limit; dropping them until it slows down',
      );
    }
    return false;
  }

  /**
   * The node disconnected: its drop count is reported. Its bucket is kept while it is not yet full
   * (so redialing does not buy a fresh burst), and buckets of disconnected nodes that have refilled
   * are forgotten, so the map holds connected nodes and recently limited ones only.
   */
  disconnected(node: string, connected: (node: string) => boolean): void {
    const state = this.nodes.get(node);
    if (state && state.dropped > 0) this.report(node, state, 'node disconnected');
    for (const [name, s] of this.nodes) if (!connected(name) && s.bucket.full()) this.nodes.delete(name);
  }

  /** Nodes with a bucket (connected or recently limited). */
  get size(): number {
    return this.nodes.size;
  }

  private report(node: string, state: NodeState, why: string): void {
    this.logger.warn(
      { node, dropped: state.dropped },
      `dropped ${state.dropped} events from node over its rate limit (${why})`,
    );
    state.dropped = 0;
  }
}

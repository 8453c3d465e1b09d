/**
 * Kubernetes' rate limiting of node evictions, per zone (the node lifecycle controller's
 * `--node-eviction-rate`, `--secondary-node-eviction-rate`, `--unhealthy-zone-threshold`,
 * `--large-cluster-size-threshold`; zones from the `topology.kubernetes.io/zone` label, unlabelled
 * nodes forming one zone of their own):
 * - a zone is *FullDisruption* when none of its nodes is Ready, *PartialDisruption* when more than two
 *   are not Ready and they are at least the threshold's share, else *Normal*;
 * - Normal zones evict the pods of at most `evictionRate` nodes per second (burst 1), and so does a
 *   fully disrupted zone while another zone is not (the zone itself is likely down);
 * - a partially disrupted zone slows to `secondaryEvictionRate`, or stops if it has no more than
 *   `largeClusterSizeThreshold` nodes;
 * - when every zone is fully disrupted the hub is the likely cause (its own network): nothing is
 *   evicted until some node is back.
 * Counts are kept incrementally from node events, O(1) each.
 */
import type { Clock, Logger, Node } from '../../api/index.js';
import { nodeReadyStatus } from '../../api/index.js';

/** Label naming a node's zone (Kubernetes' well-known label). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** A zone's health, as Kubernetes names it. */
export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** The eviction-rate tunables (Kubernetes' defaults in brackets). */
export interface ZoneEvictionOptions {
  /** Nodes per second whose pods may be evicted in a healthy zone [0.1]. */
  evictionRate?: number;
  /** The same in an unhealthy zone larger than `largeClusterSizeThreshold` [0.01]. */
  secondaryEvictionRate?: number;
  /** Share of not-Ready nodes (more than two) that makes a zone unhealthy [0.55]. */
  unhealthyZoneThreshold?: number;
  /** An unhealthy zone of at most this many nodes evicts nothing [50]. */
  largeClusterSizeThreshold?: number;
}

interface Zone {
  ready: number;
  notReady: number;
  tokens: number;
  refilledAt: number;
  state: ZoneState;
}

/** A node's zone. */
export function zoneOf(node: Node): string {
  return node.metadata.labels?.[ZONE_LABEL] ?? '';
}

/** Ready, not Ready, or still registering (no Ready condition yet: not counted either way). */
function health(node: Node | undefined): 'ready' | 'notReady' | undefined {
  if (!node?.status?.conditions?.some((c) => c.type === 'Ready')) return undefined;
  return nodeReadyStatus(node) === 'True' ? 'ready' : 'notReady';
}

/** Per-zone node health and token buckets for evictions. */
export class ZoneEvictionLimiter {
  readonly #zones = new Map<string, Zone>();
  readonly #rate: number;
  readonly #secondaryRate: number;
  readonly #threshold: number;
  readonly #large: number;

  /** `onStateChange` is called after any zone changed state (rates may have changed anywhere). */
  constructor(
    opts: ZoneEvictionOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onStateChange: () => void = () => {},
  ) {
    this.#rate = opts.evictionRate ?? 0.1;
    this.#secondaryRate = opts.secondaryEvictionRate ?? 0.01;
    this.#threshold = opts.unhealthyZoneThreshold ?? 0.55;
    this.#large = opts.largeClusterSizeThreshold ?? 50;
  }

  /** Applies a node's change (`old` undefined: added; `cur` undefined: deleted). */
  nodeChanged(old: Node | undefined, cur: Node | undefined): void {
    const was = health(old);
    const is = health(cur);
    const oldZone = old ? zoneOf(old) : '';
    const zone = cur ? zoneOf(cur) : oldZone;
    if (was === is && oldZone === zone) return;
    if (old && was) this.#count(oldZone, was, -1);
    if (cur && is) this.#count(zone, is, +1);
  }

  /** The state of `zone`. */
  state(zone: string): ZoneState {
    return this.#zones.get(zone)?.state ?? 'Normal';
  }

  /** Nodes per second whose pods `zone` may evict now. */
  rate(zone: string): number {
    const z = this.#zones.get(zone);
    if (!z) return this.#rate;
    switch (z.state) {
      case 'Normal':
        return this.#rate;
      case 'PartialDisruption':
        return z.ready + z.notReady > this.#large ? this.#secondaryRate : 0;
      case 'FullDisruption':
        return this.#allFullyDisrupted() ? 0 : this.#rate;
    }
  }

  /** Takes a token of `zone`'s bucket (burst 1): may one more node's pods be evicted now? */
  tryAcquire(zone: string): boolean {
    const z = this.#zone(zone);
    this.#refill(zone, z);
    if (z.tokens < 1 || this.rate(zone) <= 0) return false;
    z.tokens -= 1;
    return true;
  }

  #allFullyDisrupted(): boolean {
    let any = false;
    for (const z of this.#zones.values()) {
      if (z.ready + z.notReady === 0) continue;
      if (z.state !== 'FullDisruption') return false;
      any = true;
    }
    return any;
  }

  #zone(name: string): Zone {
    let z = this.#zones.get(name);
    if (!z) {
      z = { ready: 0, notReady: 0, tokens: 1, refilledAt: this.clock.now(), state: 'Normal' };
      this.#zones.set(name, z);
    }
    return z;
  }

  #count(name: string, h: 'ready' | 'notReady', by: number): void {
    const z = this.#zone(name);
    z[h] = Math.max(0, z[h] + by);
    const total = z.ready + z.notReady;
    const state: ZoneState =
      z.ready === 0 && z.notReady > 0
        ? 'FullDisruption'
        : z.notReady > 2 && z.notReady / total >= this.#threshold
          ? 'PartialDisruption'
          : 'Normal';
    if (state === z.state) return;
    // Refill at the old rate up to now, so the new rate counts only from the change.
    this.#refill(name, z);
    z.state = state;
    const detail = { zone: name || '(no zone label)', ready: z.ready, notReady: z.notReady };
    if (state === 'Normal') this.logger.info(detail, 'zone is healthy again: node evictions at the normal rate');
    else this.logger.warn(detail, `zone is in ${state}: node evictions slowed or held (${this.rate(name)}/s)`);
    this.onStateChange();
  }

  /** Adds what `zone`'s rate earned since the last refill (burst 1). */
  #refill(name: string, z: Zone): void {
    const now = this.clock.now();
    z.tokens = Math.min(1, z.tokens + (this.rate(name) * Math.max(0, now - z.refilledAt)) / 1000);
    z.refilledAt = now;
  }
}

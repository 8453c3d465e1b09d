/**
 * The node's default load balancer: least outstanding requests with power-of-two random choices
 * (P2C), locality tiers for pod-originated calls, passive ejection and ClientIP affinity.
 *
 * - Load is this node's own in-flight requests per endpoint (pod), across every Service that routes
 *   to it: exact locally, no coordination between nodes. P2C samples two distinct candidates and
 *   takes the one with fewer in flight; on a tie the one picked longer ago, so sequential traffic
 *   alternates instead of clumping.
 * - Locality (calls from a pod on this node, `ctx.origin`): tiers are this node, then the same
 *   `zone`, then every other endpoint. A tier is used unless it is *overloaded*: its P2C choice has
 *   at least `spill.minExcess` more requests in flight than the least loaded endpoint of the later
 *   tiers, and at least `spill.ratio` times as many. Then the next tier is considered the same way.
 *   At light load calls stay local; a busy local replica sheds work to remote ones instead of
 *   queueing it. External (NodePort) traffic has no origin: one tier, every ready endpoint.
 * - Ejected endpoints (see `OutlierDetector`) are skipped, unless every candidate is ejected: then
 *   they are all used, since a possibly-failing endpoint beats none.
 * - `ctx.affinityKey` (sessionAffinity: ClientIP) keeps a client on its endpoint (`AffinityTable`).
 */
import type { Clock, Logger } from '../../../api/index.js';
import type { EndpointPicker, PickContext, PickOrigin, PickOutcome, ServiceEndpoint } from './endpoint-picker.js';
import { OutlierDetector, type EjectionOptions } from './outlier-detector.js';
import { AffinityTable } from './session-affinity.js';

/** When the preferred locality tier counts as overloaded (see the module comment). */
export interface SpillOptions {
  /** In-flight requests the preferred choice must have beyond the best elsewhere (default 4). */
  minExcess: number;
  /** …and how many times as many (default 2). */
  ratio: number;
}

/** Defaults of `SpillOptions`. */
export const DEFAULT_SPILL: SpillOptions = { minExcess: 4, ratio: 2 };

/** Dependencies of the picker. */
export interface LeastLoadedPickerDeps {
  clock: Clock;
  logger?: Logger;
  /** Uniform in [0, 1) (default Math.random); tests make P2C deterministic with it. */
  random?: () => number;
  ejection?: Partial<EjectionOptions>;
  spill?: Partial<SpillOptions>;
  /** ClientIP affinity timeout (default 3 h). */
  affinityTimeoutMs?: number;
}

interface Load {
  inFlight: number;
  /** Sequence number of the last pick (0: never). */
  lastPicked: number;
}

/** Least-outstanding-requests P2C with locality, ejection and affinity. */
export class LeastLoadedPicker implements EndpointPicker {
  private readonly load = new Map<string, Load>();
  private readonly outliers: OutlierDetector;
  private readonly affinity: AffinityTable;
  private readonly spill: SpillOptions;
  private readonly random: () => number;
  private seq = 0;

  constructor(deps: LeastLoadedPickerDeps) {
    this.outliers = new OutlierDetector({ clock: deps.clock, logger: deps.logger, options: deps.ejection });
    this.affinity = new AffinityTable(deps.clock, deps.affinityTimeoutMs);
    this.spill = { ...DEFAULT_SPILL, ...deps.spill };
    this.random = deps.random ?? Math.random;
  }

  pick(serviceKey: string, candidates: readonly ServiceEndpoint[], ctx: PickContext): ServiceEndpoint | undefined {
    const admitted = candidates.filter((e) => !this.outliers.isEjected(healthKey(serviceKey, e)));
    const pool = admitted.length > 0 ? admitted : candidates;
    if (pool.length === 0) return undefined;
    const chosen =
      ctx.affinityKey !== undefined
        ? this.affinity.pick(serviceKey, ctx.affinityKey, pool, () => this.choose(pool, ctx.origin))
        : this.choose(pool, ctx.origin);
    if (chosen) this.loadOf(chosen.pod.uid).lastPicked = ++this.seq;
    return chosen;
  }

  begin(serviceKey: string, endpoint: ServiceEndpoint): (outcome: PickOutcome) => void {
    const load = this.loadOf(endpoint.pod.uid);
    load.inFlight += 1;
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      load.inFlight -= 1;
      this.outliers.record(
        healthKey(serviceKey, endpoint),
        outcome,
        `${serviceKey} ${endpoint.pod.namespace}/${endpoint.pod.name}@${endpoint.nodeName}`,
      );
    };
  }

  retain(live: ReadonlySet<string>): void {
    // An endpoint with requests in flight keeps its entry: `begin`'s closure still counts it down.
    for (const [uid, l] of this.load) if (!live.has(uid) && l.inFlight === 0) this.load.delete(uid);
    this.outliers.retain((key) => live.has(key.slice(key.lastIndexOf('\u0000') + 1)));
    this.affinity.retain(live);
  }

  /** Requests in flight to a pod from this node (tests, diagnostics). */
  inFlight(uid: string): number {
    return this.load.get(uid)?.inFlight ?? 0;
  }

  /** True while the endpoint is ejected from `serviceKey` (tests, diagnostics). */
  isEjected(serviceKey: string, endpoint: ServiceEndpoint): boolean {
    return this.outliers.isEjected(healthKey(serviceKey, endpoint));
  }

  private choose(pool: readonly ServiceEndpoint[], origin: PickOrigin | undefined): ServiceEndpoint | undefined {
    const tiers = origin ? localityTiers(pool, origin) : [pool];
    for (let i = 0; i < tiers.length; i++) {
      const chosen = this.p2c(tiers[i]!);
      if (i === tiers.length - 1) return chosen;
      let best = Infinity;
      for (let j = i + 1; j < tiers.length; j++)
        for (const e of tiers[j]!) best = Math.min(best, this.inFlight(e.pod.uid));
      if (!this.overloaded(this.inFlight(chosen.pod.uid), best)) return chosen;
    }
    return undefined;
  }

  private overloaded(preferred: number, bestElsewhere: number): boolean {
    return preferred >= bestElsewhere + this.spill.minExcess && preferred >= bestElsewhere * this.spill.ratio;
  }

  /** Two distinct random candidates; the one with fewer in flight, else the one picked longer ago. */
  private p2c(tier: readonly ServiceEndpoint[]): ServiceEndpoint {
    if (tier.length === 1) return tier[0]!;
    const i = Math.floor(this.random() * tier.length);
    let j = Math.floor(this.random() * (tier.length - 1));
    if (j >= i) j += 1;
    const a = tier[i]!;
    const b = tier[j]!;
    const la = this.load.get(a.pod.uid);
    const lb = this.load.get(b.pod.uid);
    const fa = la?.inFlight ?? 0;
    const fb = lb?.inFlight ?? 0;
    if (fa !== fb) return fa < fb ? a : b;
    return (la?.lastPicked ?? 0) <= (lb?.lastPicked ?? 0) ? a : b;
  }

  private loadOf(uid: string): Load {
    let l = this.load.get(uid);
    if (!l) {
      l = { inFlight: 0, lastPicked: 0 };
      this.load.set(uid, l);
    }
    return l;
  }
}

/** Non-empty tiers of `pool`: on the origin's node, in its zone, the rest. */
function localityTiers(pool: readonly ServiceEndpoint[], origin: PickOrigin): ServiceEndpoint[][] {
  const node: ServiceEndpoint[] = [];
  const zone: ServiceEndpoint[] = [];
  const rest: ServiceEndpoint[] = [];
  for (const e of pool) {
    if (e.nodeName === origin.nodeName) node.push(e);
    else if (origin.zone !== undefined && e.zone === origin.zone) zone.push(e);
    else rest.push(e);
  }
  return [node, zone, rest].filter((t) => t.length > 0);
}

/** Ejection is per Service port and pod, as Envoy's per cluster and host. */
function healthKey(serviceKey: string, e: ServiceEndpoint): string {
  return `${serviceKey}\u0000${e.pod.uid}`;
}

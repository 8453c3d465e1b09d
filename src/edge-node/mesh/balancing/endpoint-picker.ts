/**
 * Endpoint selection for Service traffic: the `EndpointPicker` seam and its simplest strategy,
 * round-robin. The node's default is `LeastLoadedPicker` (least outstanding requests with
 * power-of-two choices, locality, passive ejection); a picker is told when each attempt starts and
 * how it ended, which is the feedback those need.
 */
import type { ServiceRoute } from '../../../api/index.js';

/** One endpoint of a Service route. */
export type ServiceEndpoint = ServiceRoute['endpoints'][number];

/** Where a pod-originated call comes from (locality preference); absent for external traffic. */
export interface PickOrigin {
  nodeName: string;
  zone?: string;
}

/** Context of one pick. */
export interface PickContext {
  /** Set when the Service has `sessionAffinity: ClientIP`: the same key should get the same endpoint. */
  affinityKey?: string;
  /**
   * Set for calls made by a pod on this node: endpoints on this node, then in its zone, are preferred.
   * NodePort (external) traffic has none and is spread over every endpoint (externalTrafficPolicy: Cluster).
   */
  origin?: PickOrigin;
}

/**
 * Outcome of one delivery attempt: `ok` (an answer below 500), `error` (a 5xx answer, or a failure
 * after the request was sent), `connect-error` (nothing reached the endpoint), `cancelled` (the
 * client went away or its deadline passed: says nothing about the endpoint).
 */
export type PickOutcome = 'ok' | 'connect-error' | 'error' | 'cancelled';

/** Chooses the endpoint of each request. */
export interface EndpointPicker {
  /** Picks one of `candidates` (all ready, none tried yet for this request); undefined when empty. */
  pick(serviceKey: string, candidates: readonly ServiceEndpoint[], ctx: PickContext): ServiceEndpoint | undefined;
  /**
   * An attempt on `endpoint` starts (it counts as outstanding from now); the returned function ends it
   * with its outcome and must be called exactly once.
   */
  begin?(serviceKey: string, endpoint: ServiceEndpoint): (outcome: PickOutcome) => void;
  /** Drops what is remembered of endpoints whose pod uid is not in `live` (they left every Service). */
  retain?(live: ReadonlySet<string>): void;
}

/** Round-robin per service; `ClientIP` affinity hashes the client to a stable endpoint. Ignores load. */
export class RoundRobinPicker implements EndpointPicker {
  private readonly next = new Map<string, number>();

  pick(serviceKey: string, candidates: readonly ServiceEndpoint[], ctx: PickContext): ServiceEndpoint | undefined {
    if (candidates.length === 0) return undefined;
    if (ctx.affinityKey !== undefined) return candidates[hash(ctx.affinityKey) % candidates.length];
    // Each node starts at a random offset, so two nodes' first requests do not all hit one endpoint.
    const n = this.next.get(serviceKey) ?? Math.floor(Math.random() * 1_000_000);
    this.next.set(serviceKey, (n + 1) % 1_000_000_007);
    return candidates[n % candidates.length];
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Endpoint selection for Service traffic. Round-robin over every ready endpoint for now; the
 * interface leaves room for least-outstanding-requests with power-of-two choices, locality preference
 * and passive ejection (`onResult` is the feedback those need).
 */
import type { ServiceRoute } from '../../api/index.js';

/** One endpoint of a Service route. */
export type ServiceEndpoint = ServiceRoute['endpoints'][number];

/** Context of one pick. */
export interface PickContext {
  /** Set when the Service has `sessionAffinity: ClientIP`: the same key should get the same endpoint. */
  affinityKey?: string;
}

/** Outcome of one delivery attempt. */
export type PickOutcome = 'ok' | 'connect-error' | 'error';

/** Chooses the endpoint of each request. */
export interface EndpointPicker {
  /** Picks one of `candidates` (all ready, none tried yet for this request); undefined when empty. */
  pick(serviceKey: string, candidates: readonly ServiceEndpoint[], ctx: PickContext): ServiceEndpoint | undefined;
  /** Feedback after an attempt (ignored by round-robin). */
  onResult?(serviceKey: string, endpoint: ServiceEndpoint, outcome: PickOutcome): void;
}

/** Round-robin per service; `ClientIP` affinity hashes the client to a stable endpoint. */
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

/**
 * The balancing and retry core shared by the NodePort proxy and pods' outgoing calls: pick a ready
 * endpoint, deliver there (locally through the runtime, or over the mesh to the node hosting it),
 * and retry on another endpoint when — and only when — the request could not reach the first. A
 * request that may have been processed is never sent twice; for idempotent methods a connection
 * that broke before any answer counts as "could not reach" (see `Deliverer`). Up to `maxAttempts`
 * tries on distinct endpoints, skipping nodes found unreachable while others remain. A streamed body
 * is retried only while none of it was consumed; a body the client got wrong (too large, cut short)
 * or that the node cannot hold ends the request without counting against the endpoint.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../../../api/index.js';
import type { Deliverer } from '../delivery/deliverer.js';
import { UpstreamUnreachableError } from '../delivery/upstream-error.js';
import type { EndpointPicker, PickContext, ServiceEndpoint } from './endpoint-picker.js';
import type { ProxiedRequest } from '../http/http-util.js';
import { clientBodyError } from '../http/body-limits.js';
import type { ResponseSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import type { RequestAccounting } from '../accounting/request-accounting.js';
import type { HoldOutcome, ServiceHold } from './service-hold.js';
import type { ServicePortRoute } from './service-table.js';

/** Tries per request, the first included: a connect failure may be retried twice. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Dependencies of the balancer. */
export interface ServiceBalancerDeps {
  /** This node's name (endpoints on it are delivered locally). */
  nodeName(): string;
  picker: EndpointPicker;
  local: LocalTargetLookup;
  deliverer: Deliverer;
  maxAttempts?: number;
  /** Counts each Service's requests (status and latency as the caller saw them). */
  accounting?: RequestAccounting;
  /** Holds requests for a Service with no ready endpoint until one is (scale from zero); absent: refused at once. */
  hold?: ServiceHold;
  /** Routes requests for routes that carry HTTPRoute rules (`HttpRouter` of ../routing; absent: rules are ignored). */
  router?: RequestRouter;
}

/** L7 routing in front of plain balancing: picks the Service port to balance over, or answers itself. */
export interface RequestRouter {
  deliver(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
    plain: (route: ServicePortRoute, req: ProxiedRequest, opts: BalanceOptions) => Promise<BalanceResult>,
  ): Promise<BalanceResult>;
}

/** Per-request options. */
export interface BalanceOptions {
  ctx: PickContext;
  /** Time left for the next attempt (ms); the deliverer's request timeout when absent. */
  timeoutMs?(): number;
}

/** How a balanced delivery ended. */
export type BalanceResult =
  /** An answer (any status) was written to the sink. */
  | { kind: 'answered'; status: number; endpoint?: ServiceEndpoint }
  /** The Service port has no ready endpoint (`held`: none came while the request was held, or the hold was full). */
  | { kind: 'no-endpoints'; held?: Exclude<HoldOutcome, { kind: 'ready' }> }
  /** No endpoint could be reached; nothing was written. */
  | { kind: 'unreachable'; failures: string[] }
  /** The request failed after it may have been processed; the sink may hold the start of an answer. */
  | { kind: 'failed'; error: unknown; endpoint: ServiceEndpoint }
  /** The receiver went away (client left, deadline passed). */
  | { kind: 'cancelled' };

/** What one pass over a route's endpoints ended with; `tried`: the pod uids it could not reach. */
type Tried =
  | Exclude<BalanceResult, { kind: 'no-endpoints' } | { kind: 'unreachable' }>
  | { kind: 'unreachable'; failures: string[]; tried: string[]; behind: string[] };

/** Failures kept in a 503's text: a request retried while held may collect many. */
const MAX_FAILURES_SHOWN = 6;

/** What the rounds of one request's retries have learnt: the endpoints gone, the failures, how many were behind. */
class Rounds {
  /** Pods (uids) that failed for another reason than their node being behind: not tried again. */
  readonly gone = new Set<string>();
  failures: string[] = [];
  /** Endpoints of the last round whose node said the pod is not its endpoint yet. */
  behind = 0;

  constructor(first: Extract<Tried, { kind: 'unreachable' }>) {
    this.add(first);
  }

  /** Takes in a round that reached no endpoint. */
  add(round: Extract<Tried, { kind: 'unreachable' }>): void {
    this.failures = [...this.failures, ...round.failures];
    for (const uid of round.tried) if (!round.behind.includes(uid)) this.gone.add(uid);
    this.behind = round.behind.length;
  }

  /** The request's outcome after its last round. */
  unreachable(): BalanceResult {
    return { kind: 'unreachable', failures: this.failures.slice(-MAX_FAILURES_SHOWN) };
  }
}
/** Pauses before an endpoint whose node's Service table was behind is tried again (doubling to the last). */
const BEHIND_RETRY_MS = [10, 20, 40, 80, 160, 320];

/** Delivers requests for Service ports to balanced endpoints. */
export class ServiceBalancer {
  constructor(private readonly deps: ServiceBalancerDeps) {}

  /** Sends `req` to one of `route`'s ready endpoints, writing the answer to `sink`. */
  async deliver(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
  ): Promise<BalanceResult> {
    // A route with HTTPRoute rules picks its backend Service first (the node may answer itself).
    const router = this.deps.router;
    if (route.service.http && router)
      return router.deliver(route, req, sink, opts, (r, q, o) => this.plain(r, q, sink, o));
    return this.plain(route, req, sink, opts);
  }

  /** Balances over `route`'s own endpoints (no routing). */
  private async plain(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
  ): Promise<BalanceResult> {
    const accounting = this.deps.accounting;
    if (!accounting) return this.balance(route, req, sink, opts);
    const started = performance.now();
    const result = await this.balance(route, req, sink, opts);
    // The caller answers what was not delivered with a 503 (no endpoint, none reachable) or a failure.
    const status = result.kind === 'answered' ? result.status : result.kind === 'failed' ? 0 : 503;
    if (result.kind !== 'cancelled')
      accounting.serviceRequest(route.service.namespace, route.service.name, status, performance.now() - started);
    return result;
  }

  private async balance(
    given: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
  ): Promise<BalanceResult> {
    let route = given;
    // Only a Service whose workload an HPA may have taken to zero is worth waiting for.
    const hold = given.service.scaleFromZero === true ? this.deps.hold : undefined;
    if (route.ready.length === 0) {
      if (!hold) return { kind: 'no-endpoints' };
      const held = await hold.wait(route);
      if (held.kind !== 'ready') return { kind: 'no-endpoints', held };
      route = held.route;
    }
    const first = await this.tryEndpoints(route, req, sink, opts);
    if (first.kind !== 'unreachable') return first;
    if (sink.gone || !req.body.replayable) return { kind: 'unreachable', failures: first.failures };
    if (!hold) return this.retryBehind(route, req, sink, opts, first);
    return this.retryHeld(hold, route, req, sink, opts, first);
  }

  /**
   * Every endpoint failed, and some because their node said the pod is not its endpoint yet: both
   * nodes are sent the same Service change a moment apart, and this one was first (a pod just became
   * ready). Those endpoints are tried again after short pauses, for at most the sum of
   * `BEHIND_RETRY_MS`; the endpoints that were unreachable for other reasons are not.
   */
  private async retryBehind(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
    first: Extract<Tried, { kind: 'unreachable' }>,
  ): Promise<BalanceResult> {
    const rounds = new Rounds(first);
    for (const pause of BEHIND_RETRY_MS) {
      if (rounds.behind === 0) break;
      await delay(pause);
      if (sink.gone) return { kind: 'cancelled' };
      const again = await this.tryEndpoints(route, req, sink, opts, rounds.gone);
      if (again.kind !== 'unreachable') return again;
      rounds.add(again);
      if (!req.body.replayable) break;
    }
    return rounds.unreachable();
  }

  /**
   * Every endpoint the route named failed: at zero that is a route not yet told its pods went (the
   * scale-down and the request crossed), so the request is held as if none were ready, for another
   * endpoint. An endpoint whose node answered `not-endpoint` is not gone: that node's Service table is
   * behind this one's (both are sent the same change, a moment apart), so it is tried again after a
   * short pause rather than skipped. All within the hold's timeout.
   */
  private async retryHeld(
    hold: ServiceHold,
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
    first: Extract<Tried, { kind: 'unreachable' }>,
  ): Promise<BalanceResult> {
    const deadline = performance.now() + hold.timeoutMs;
    const rounds = new Rounds(first);
    for (let round = 0; ; round++) {
      if (rounds.behind > 0) await delay(BEHIND_RETRY_MS[Math.min(round, BEHIND_RETRY_MS.length - 1)] ?? 0);
      if (sink.gone) return { kind: 'cancelled' };
      const held = await hold.wait(route, rounds.gone);
      if (held.kind !== 'ready') return rounds.unreachable();
      const again = await this.tryEndpoints(held.route, req, sink, opts, rounds.gone);
      if (again.kind !== 'unreachable') return again;
      rounds.add(again);
      if (!req.body.replayable || performance.now() >= deadline) return rounds.unreachable();
    }
  }

  /** Delivers to the route's ready endpoints (not `skip`: pod uids), trying the next on a connection failure. */
  private async tryEndpoints(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
    skip?: ReadonlySet<string>,
  ): Promise<Tried> {
    const { picker } = this.deps;
    const tried = new Set<ServiceEndpoint>();
    const candidates = skip ? route.ready.filter((e) => !skip.has(e.pod.uid)) : route.ready;
    const downNodes = new Set<string>();
    const failures: string[] = [];
    /** Pods (uids) whose node said they are not its Service endpoints yet. */
    const behind: string[] = [];
    for (let attempt = 0; attempt < (this.deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS); attempt++) {
      if (sink.gone) return { kind: 'cancelled' };
      const untried = tried.size === 0 ? candidates : candidates.filter((e) => !tried.has(e));
      const elsewhere = downNodes.size === 0 ? untried : untried.filter((e) => !downNodes.has(e.nodeName));
      const ep = picker.pick(route.key, elsewhere.length > 0 ? elsewhere : untried, opts.ctx);
      if (!ep) break;
      tried.add(ep);
      const end = picker.begin?.(route.key, ep);
      try {
        const status = await this.attempt(ep, route.port.targetPort, req, sink, opts.timeoutMs?.());
        end?.(sink.gone ? 'cancelled' : status >= 500 ? 'error' : 'ok');
        return { kind: 'answered', status, endpoint: ep };
      } catch (caught) {
        const bodyErr = clientBodyError(caught, req.body);
        if (bodyErr) {
          end?.('cancelled');
          return { kind: 'failed', error: bodyErr, endpoint: ep };
        }
        const err = caught;
        const unreachable = err instanceof UpstreamUnreachableError;
        end?.(sink.gone ? 'cancelled' : unreachable ? 'connect-error' : 'error');
        if (sink.gone) return { kind: 'cancelled' };
        if (!unreachable || sink.started) return { kind: 'failed', error: err, endpoint: ep };
        if (err.nodeUnreachable) downNodes.add(ep.nodeName);
        if (err.code === 'not-endpoint') behind.push(ep.pod.uid);
        failures.push(`${ep.pod.namespace}/${ep.pod.name}@${ep.nodeName}: ${errorMessage(err)}`);
        if (!req.body.replayable) break; // part of the body went to the failed attempt: it cannot be resent
      }
    }
    return { kind: 'unreachable', failures, tried: [...tried].map((e) => e.pod.uid), behind };
  }

  private async attempt(
    ep: ServiceEndpoint,
    targetPort: number | string,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs: number | undefined,
  ): Promise<number> {
    const { deliverer } = this.deps;
    if (ep.nodeName === this.deps.nodeName()) {
      const t = this.deps.local(ep.pod.namespace, ep.pod.name, targetPort);
      if (!t.ok) throw new UpstreamUnreachableError(t.message);
      return deliverer.deliverLocal(t, req, sink, timeoutMs, ep.pod);
    }
    return deliverer.forwardRemote(ep, targetPort, req, sink, timeoutMs);
  }
}

/**
 * L7 routing in front of the balancer: a request for a route that carries HTTPRoute rules (a Gateway
 * listener port, or a Service with GAMMA routes) takes the first rule it matches, goes through the
 * rule's filters, and is sent to one of the rule's backends picked by weight — per request, not by
 * replica count — within the rule's `timeouts.request`. The node answers itself with a redirect, a 404
 * (no rule of a Gateway matches) or a 500 (a rule without a usable backend, as Gateway API says). A
 * Service request no GAMMA rule matches goes to the Service as if it had no routes.
 */
import type { BalanceOptions, BalanceResult } from '../balancing/service-balancer.js';
import type { ServicePortRoute } from '../balancing/service-table.js';
import type { ProxiedRequest } from '../http/http-util.js';
import type { ResponseSink } from '../http/response-sink.js';
import { pickBackend, type Random } from './backend-pick.js';
import { applyFilters } from './request-filters.js';
import { selectRule } from './rule-match.js';

/** Delivers to one Service port by plain balancing (no routing). */
export type PlainDelivery = (
  route: ServicePortRoute,
  req: ProxiedRequest,
  opts: BalanceOptions,
) => Promise<BalanceResult>;

/** Dependencies of the router. */
export interface HttpRouterDeps {
  /**
   * The Service port a backend names (`port` absent: `requestPort` if the Service has it, else its
   * only port); undefined when this node does not know it.
   */
  backend(namespace: string, name: string, port: number | undefined, requestPort: number): ServicePortRoute | undefined;
  /** Uniform numbers in [0, 1) for the weighted pick (default Math.random; tests seed one). */
  random?: Random;
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
}

/** Routes requests by a route's compiled HTTPRoute rules. */
export class HttpRouter {
  readonly #random: Random;
  readonly #now: () => number;

  constructor(private readonly deps: HttpRouterDeps) {
    this.#random = deps.random ?? Math.random;
    this.#now = deps.now ?? (() => performance.now());
  }

  /** Routes `req` (for `route`, which carries `http`) and delivers it with `plain`. */
  async deliver(
    route: ServicePortRoute,
    req: ProxiedRequest,
    sink: ResponseSink,
    opts: BalanceOptions,
    plain: PlainDelivery,
  ): Promise<BalanceResult> {
    const http = route.service.http;
    if (!http) return plain(route, req, opts);
    const rule = selectRule(http.rules, req);
    if (!rule) {
      if (!http.gateway) return plain(route, req, opts);
      return answer(
        sink,
        404,
        `no HTTPRoute rule of ${route.service.namespace}/${route.service.name} matches ${req.method} ${req.path}`,
      );
    }
    const filtered = applyFilters(rule, req, 'http');
    if (filtered.kind === 'redirect') {
      if (!sink.gone) {
        sink.start(filtered.status, ['location', filtered.location, 'content-length', '0']);
        sink.end();
      }
      return { kind: 'answered', status: filtered.status };
    }
    const picked = pickBackend(rule.backends, this.#random);
    if (!picked || picked.invalid) return answer(sink, 500, `HTTPRoute ${rule.route}: no usable backend`);
    const target = this.deps.backend(picked.namespace, picked.name, picked.port, route.port.port);
    if (!target)
      return answer(sink, 500, `HTTPRoute ${rule.route}: backend ${picked.namespace}/${picked.name} is not known here`);
    const timeoutMs = rule.timeoutMs;
    if (timeoutMs === undefined) return plain(target, filtered.req, opts);
    const deadline = this.#now() + timeoutMs;
    const left = (): number => Math.max(1, Math.min(opts.timeoutMs?.() ?? Infinity, deadline - this.#now()));
    return plain(target, filtered.req, { ...opts, timeoutMs: left });
  }
}

function answer(sink: ResponseSink, status: number, message: string): BalanceResult {
  if (!sink.gone) sink.text(status, message);
  return { kind: 'answered', status };
}

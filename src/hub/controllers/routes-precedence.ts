/**
 * Gateway API precedence: each rule of a route is flattened to one per match, ranked by hostname
 * specificity, Exact path over PathPrefix, longer prefix, method, more headers, more query params,
 * then the older route, then namespace/name; equal ranks keep rule and match order.
 */
import type { CompiledBackend, CompiledMatch, CompiledRule, HTTPRoute } from '../../api/index.js';
import { gatewayDurationMs } from '../../api/index.js';
import { nsOf } from './routes-model.js';

/** A rule with what orders it. */
export interface Ranked {
  rule: CompiledRule;
  rank: number[];
  created: string;
  name: string;
}

/** One ranked rule per match of every rule of `route`. */
export function rankRules(route: HTTPRoute, perRule: CompiledBackend[][], hostnames: string[] | undefined): Ranked[] {
  const ns = nsOf(route);
  const name = route.metadata.name ?? '';
  const out: Ranked[] = [];
  (route.spec.rules ?? [{}]).forEach((rule, ri) => {
    const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
    for (const m of matches) {
      const match: CompiledMatch = {
        path: { type: m.path?.type ?? 'PathPrefix', value: m.path?.value ?? '/' },
        ...(m.headers?.length
          ? { headers: m.headers.map((h) => ({ name: h.name.toLowerCase(), value: h.value })) }
          : {}),
        ...(m.queryParams?.length ? { queryParams: m.queryParams.map((q) => ({ name: q.name, value: q.value })) } : {}),
        ...(m.method ? { method: m.method } : {}),
      };
      const timeout = ruleTimeoutMs(rule.timeouts);
      const compiled: CompiledRule = {
        route: `${ns}/${name}#${ri}`,
        ...(hostnames ? { hostnames } : {}),
        match,
        ...(rule.filters?.length ? { filters: rule.filters } : {}),
        backends: perRule[ri] ?? [],
        ...(timeout > 0 ? { timeoutMs: timeout } : {}),
      };
      out.push({
        rule: compiled,
        rank: [
          hostRank(hostnames),
          match.path.type === 'Exact' ? 1 : 0,
          match.path.value.length,
          match.method ? 1 : 0,
          match.headers?.length ?? 0,
          match.queryParams?.length ?? 0,
        ],
        created: route.metadata.creationTimestamp ?? '',
        name: `${ns}/${name}`,
      });
    }
  });
  return out;
}

/** Higher for more specific hostnames: exact over wildcard, longer over shorter, any host last. */
function hostRank(hostnames: string[] | undefined): number {
  if (!hostnames || hostnames.length === 0) return 0;
  let best = 0;
  for (const h of hostnames) best = Math.max(best, h.startsWith('*.') ? 1000 + h.length : 2000 + h.length);
  return best;
}

/** Precedence order (stable: equal ranks keep rule and match order). */
export function sortRules(rules: Ranked[]): CompiledRule[] {
  return [...rules]
    .sort((a, b) => {
      for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i]! - a.rank[i]!;
      if (a.created !== b.created) return a.created < b.created ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    })
    .map((r) => r.rule);
}

/**
 * The bound a node puts on a rule's requests: `timeouts.request` (the whole request) and
 * `timeouts.backendRequest` (one attempt at a backend) folded into the tighter of the two, 0 for none
 * ("0s" disables either, as Gateway API says). A node retries only a connection that could not be made,
 * before any byte of the answer, so one attempt is nearly the whole request: the fold keeps the wire
 * shape older agents decode.
 */
export function ruleTimeoutMs(t: { request?: string; backendRequest?: string } | undefined): number {
  const parts = [t?.request, t?.backendRequest].map((d) => (d ? gatewayDurationMs(d) : 0)).filter((ms) => ms > 0);
  return parts.length === 0 ? 0 : Math.min(...parts);
}

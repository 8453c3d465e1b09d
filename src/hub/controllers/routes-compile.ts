/**
 * Compiles Gateway API objects into what nodes route by and what their status says, in one pure
 * function shared by the route controller (status, leader-only) and the node gateway's route table
 * (every hub: the compiled rules it streams to its nodes), so the two cannot disagree.
 *
 * - A Gateway of the built-in class `edgeplane` is served on every node: each listener port becomes
 *   one `ServiceRoute` named `gateway:<gateway>:<port>` carrying the rules of the routes attached to
 *   the listeners on that port.
 * - An HTTPRoute whose parent is a Service (GAMMA) adds its rules to that Service's route: pods'
 *   calls to the Service are routed by them.
 * - Rules are flattened to one per match and sorted by Gateway API precedence: hostname specificity,
 *   Exact path over PathPrefix, longer prefix, method, more headers, more query params, then the
 *   older route, then namespace/name, then rule and match order.
 */
import type {
  CompiledBackend,
  CompiledMatch,
  CompiledRule,
  Gateway,
  GatewayListener,
  HTTPRoute,
  HttpRouting,
  ParentReference,
  RouteParentStatus,
  Service,
  ServiceRoute,
} from '../../api/index.js';
import { EDGEPLANE_GATEWAY_CLASS, GATEWAY_CONTROLLER_NAME, GATEWAY_GROUP, gatewayDurationMs } from '../../api/index.js';

/** What compiling reads. */
export interface RouteInputs {
  gateways: readonly Gateway[];
  routes: readonly HTTPRoute[];
  service(namespace: string, name: string): Service | undefined;
}

/** A condition as compiled (times and generations are the writer's business). */
export interface CompiledCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** One parentRef's status of an HTTPRoute. */
export interface CompiledParentStatus {
  parentRef: ParentReference;
  conditions: CompiledCondition[];
}

/** What the compiled set says of one of our Gateways. */
export interface CompiledGateway {
  listeners: Array<{ name: string; attachedRoutes: number }>;
}

/** Everything compiled. */
export interface CompiledRoutes {
  /** `namespace/gateway:<name>:<port>` → the route nodes serve that listener port by. */
  gatewayRoutes: Map<string, ServiceRoute>;
  /** `namespace/service` → the rules of the routes attached to that Service (GAMMA). */
  gamma: Map<string, HttpRouting>;
  /** `namespace/service` of every backend of a Gateway's rules: every node needs those Services. */
  everywhere: Set<string>;
  /** `namespace/route` → the status of each of its parentRefs this controller serves. */
  routeParents: Map<string, CompiledParentStatus[]>;
  /** `namespace/gateway` → our Gateways' listener figures. */
  gateways: Map<string, CompiledGateway>;
}

/** The name of the route a Gateway's listener port is served by. */
export function gatewayRouteName(gateway: string, port: number): string {
  return `gateway:${gateway}:${port}`;
}

const nsOf = (o: { metadata: { namespace?: string } }): string => o.metadata.namespace ?? 'default';
const keyOf = (ns: string, name: string): string => `${ns}/${name}`;
const cond = (type: string, ok: boolean, reason: string, message: string): CompiledCondition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
});

/** A rule with what orders it. */
interface Ranked {
  rule: CompiledRule;
  rank: number[];
  created: string;
  name: string;
}

/** Compiles every Gateway and HTTPRoute. */
export function compileRoutes(input: RouteInputs): CompiledRoutes {
  const out: CompiledRoutes = {
    gatewayRoutes: new Map(),
    gamma: new Map(),
    everywhere: new Set(),
    routeParents: new Map(),
    gateways: new Map(),
  };
  const ours = new Map<string, Gateway>();
  for (const g of input.gateways)
    if (g.spec.gatewayClassName === EDGEPLANE_GATEWAY_CLASS && !g.metadata.deletionTimestamp) {
      ours.set(keyOf(nsOf(g), g.metadata.name ?? ''), g);
      out.gateways.set(keyOf(nsOf(g), g.metadata.name ?? ''), {
        listeners: g.spec.listeners.map((l) => ({ name: l.name, attachedRoutes: 0 })),
      });
    }
  const byGatewayPort = new Map<string, { gw: Gateway; port: number; rules: Ranked[] }>();
  const byService = new Map<string, Ranked[]>();
  for (const route of input.routes) {
    if (route.metadata.deletionTimestamp) continue;
    const ns = nsOf(route);
    const parents: CompiledParentStatus[] = [];
    const { backends, perRule, resolved } = resolveBackends(route, input);
    for (const ref of route.spec.parentRefs ?? []) {
      if (ref.kind === 'Service') {
        const svcNs = ref.namespace ?? ns;
        const svc = input.service(svcNs, ref.name);
        const accepted = svc !== undefined && svcNs === ns;
        parents.push({
          parentRef: ref,
          conditions: [
            accepted
              ? cond('Accepted', true, 'Accepted', "Route is accepted for the Service's mesh traffic")
              : cond(
                  'Accepted',
                  false,
                  'NoMatchingParent',
                  svc ? "a Service parent must be in the route's namespace" : `Service ${svcNs}/${ref.name} not found`,
                ),
            resolved,
          ],
        });
        if (!accepted) continue;
        const list = byService.get(keyOf(svcNs, ref.name)) ?? [];
        list.push(...rankRules(route, perRule, undefined));
        byService.set(keyOf(svcNs, ref.name), list);
        continue;
      }
      const gwNs = ref.namespace ?? ns;
      const gw = ours.get(keyOf(gwNs, ref.name));
      if (!gw) {
        // A Gateway of another class is not ours to speak for.
        if (input.gateways.some((g) => nsOf(g) === gwNs && g.metadata.name === ref.name)) continue;
        parents.push({
          parentRef: ref,
          conditions: [cond('Accepted', false, 'NoMatchingParent', `Gateway ${gwNs}/${ref.name} not found`), resolved],
        });
        continue;
      }
      const attach = attachToGateway(gw, ref, route);
      parents.push({ parentRef: ref, conditions: [attach.condition, resolved] });
      const figures = out.gateways.get(keyOf(gwNs, ref.name))!;
      for (const { listener, hostnames } of attach.listeners) {
        const f = figures.listeners.find((l) => l.name === listener.name);
        if (f) f.attachedRoutes++;
        const k = `${keyOf(gwNs, ref.name)}:${listener.port}`;
        const entry = byGatewayPort.get(k) ?? { gw, port: listener.port, rules: [] };
        entry.rules.push(...rankRules(route, perRule, hostnames));
        byGatewayPort.set(k, entry);
        for (const b of backends) if (!b.invalid) out.everywhere.add(keyOf(b.namespace, b.name));
      }
    }
    if (parents.length > 0) out.routeParents.set(keyOf(ns, route.metadata.name ?? ''), parents);
  }
  // Every listener port of our Gateways is served, with no rule answering 404, as Kubernetes' implementations do.
  for (const [gwKey, gw] of ours)
    for (const l of gw.spec.listeners) {
      const k = `${gwKey}:${l.port}`;
      if (!byGatewayPort.has(k)) byGatewayPort.set(k, { gw, port: l.port, rules: [] });
    }
  for (const { gw, port, rules } of byGatewayPort.values()) {
    const name = gatewayRouteName(gw.metadata.name ?? '', port);
    out.gatewayRoutes.set(keyOf(nsOf(gw), name), {
      namespace: nsOf(gw),
      name,
      type: 'NodePort',
      sessionAffinity: 'None',
      ports: [{ port, targetPort: port, nodePort: port }],
      endpoints: [],
      http: { gateway: true, rules: sortRules(rules) },
    });
  }
  for (const [k, rules] of byService) out.gamma.set(k, { rules: sortRules(rules) });
  return out;
}

/** The route's backends per rule, and its ResolvedRefs condition. */
function resolveBackends(
  route: HTTPRoute,
  input: RouteInputs,
): { backends: CompiledBackend[]; resolved: CompiledCondition; perRule: CompiledBackend[][] } {
  const ns = nsOf(route);
  const perRule: CompiledBackend[][] = [];
  let problem: CompiledCondition | undefined;
  for (const rule of route.spec.rules ?? []) {
    const list: CompiledBackend[] = [];
    for (const ref of rule.backendRefs ?? []) {
      const bNs = ref.namespace ?? ns;
      const weight = ref.weight ?? 1;
      const base = { namespace: bNs, name: ref.name, weight, ...(ref.port ? { port: ref.port } : {}) };
      if (bNs !== ns) {
        problem ??= cond(
          'ResolvedRefs',
          false,
          'RefNotPermitted',
          `backend ${bNs}/${ref.name} is in another namespace (ReferenceGrant is not supported)`,
        );
        list.push({ ...base, invalid: true });
        continue;
      }
      const svc = input.service(bNs, ref.name);
      const port = ref.port ?? (svc?.spec.ports.length === 1 ? svc.spec.ports[0]!.port : undefined);
      if (!svc || (ref.port !== undefined && !svc.spec.ports.some((p) => p.port === ref.port))) {
        problem ??= cond(
          'ResolvedRefs',
          false,
          'BackendNotFound',
          svc ? `Service ${bNs}/${ref.name} has no port ${ref.port}` : `Service ${bNs}/${ref.name} not found`,
        );
        list.push({ ...base, invalid: true });
        continue;
      }
      list.push({ ...base, ...(port ? { port } : {}) });
    }
    perRule.push(list);
  }
  return {
    backends: perRule.flat(),
    perRule,
    resolved: problem ?? cond('ResolvedRefs', true, 'ResolvedRefs', 'All references are resolved'),
  };
}

/** Which listeners of `gw` the route attaches to through `ref`, with the hostnames each serves. */
function attachToGateway(
  gw: Gateway,
  ref: ParentReference,
  route: HTTPRoute,
): { condition: CompiledCondition; listeners: Array<{ listener: GatewayListener; hostnames: string[] | undefined }> } {
  let candidates = gw.spec.listeners;
  if (ref.sectionName !== undefined) candidates = candidates.filter((l) => l.name === ref.sectionName);
  if (ref.port !== undefined) candidates = candidates.filter((l) => l.port === ref.port);
  if (candidates.length === 0)
    return {
      condition: cond('Accepted', false, 'NoMatchingParent', 'no listener of the Gateway matches the parentRef'),
      listeners: [],
    };
  const allowed = candidates.filter((l) => allows(l, gw, route));
  if (allowed.length === 0)
    return {
      condition: cond(
        'Accepted',
        false,
        'NotAllowedByListeners',
        "the listeners' allowedRoutes do not admit this route",
      ),
      listeners: [],
    };
  const listeners: Array<{ listener: GatewayListener; hostnames: string[] | undefined }> = [];
  for (const l of allowed) {
    const hostnames = intersectHostnames(l.hostname, route.spec.hostnames);
    if (hostnames !== null) listeners.push({ listener: l, hostnames });
  }
  if (listeners.length === 0)
    return {
      condition: cond(
        'Accepted',
        false,
        'NoMatchingListenerHostname',
        "no hostname of the route matches the listeners'",
      ),
      listeners,
    };
  return { condition: cond('Accepted', true, 'Accepted', 'Route is accepted'), listeners };
}

function allows(l: GatewayListener, gw: Gateway, route: HTTPRoute): boolean {
  const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
  const kinds = l.allowedRoutes?.kinds;
  if (kinds && !kinds.some((k) => k.kind === 'HTTPRoute' && (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP)) return false;
  if (from === 'All') return true;
  if (from === 'Same') return nsOf(gw) === nsOf(route);
  return false; // Selector: namespace labels are not read (documented in docs/routing.md)
}

/** Whether `host` (possibly `*.x`) is matched by `pattern` (possibly `*.x`). */
function hostCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // `.x`
  return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, -suffix.length).includes('*');
}

/** The hostnames served where a listener (one or any) meets a route (some or any); null when they do not meet. */
function intersectHostnames(
  listener: string | undefined,
  route: readonly string[] | undefined,
): string[] | undefined | null {
  if (!route || route.length === 0) return listener === undefined ? undefined : [listener];
  if (listener === undefined) return [...route];
  const out = new Set<string>();
  for (const h of route) {
    if (hostCovers(listener, h)) out.add(h);
    else if (hostCovers(h, listener)) out.add(listener);
  }
  return out.size === 0 ? null : [...out];
}

/** One ranked rule per match of every rule of `route`. */
function rankRules(route: HTTPRoute, perRule: CompiledBackend[][], hostnames: string[] | undefined): Ranked[] {
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
      const timeout = rule.timeouts?.request ? gatewayDurationMs(rule.timeouts.request) : 0;
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
function sortRules(rules: Ranked[]): CompiledRule[] {
  return [...rules]
    .sort((a, b) => {
      for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i]! - a.rank[i]!;
      if (a.created !== b.created) return a.created < b.created ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    })
    .map((r) => r.rule);
}

/** The controller name our status entries carry. */
export const ROUTE_CONTROLLER_NAME = GATEWAY_CONTROLLER_NAME;

/** Whether a status parent entry is ours. */
export function isOurParent(p: RouteParentStatus): boolean {
  return p.controllerName === GATEWAY_CONTROLLER_NAME;
}

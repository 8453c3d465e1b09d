/**
 * Compiles Gateway API objects into what nodes route by and what their status says, in one pure
 * function shared by the route controller (status, leader-only) and the node gateway's route table
 * (every hub: the compiled rules it streams to its nodes), so the two cannot disagree.
 *
 * - A Gateway of one of our classes (`routes-classes.ts`) is served on every node: each listener port becomes
 *   one `ServiceRoute` named `gateway:<gateway>:<port>` carrying the rules of the routes attached to
 *   the listeners on that port.
 * - An HTTPRoute whose parent is a Service (GAMMA) adds its rules to that Service's route: pods'
 *   calls to the Service are routed by them.
 * - Rules are flattened to one per match and sorted by Gateway API precedence: hostname specificity,
 *   Exact path over PathPrefix, longer prefix, method, more headers, more query params, then the
 *   older route, then namespace/name, then rule and match order. The parts live beside this file: `routes-parents.ts` (attaching to a
 *   Gateway), `routes-backends.ts` (ResolvedRefs) and `routes-precedence.ts` (the order).
 */
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant, Service } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { resolveBackends } from './routes-backends.js';
import { listenerProblems, servedClassNames, serviceNodePorts } from './routes-classes.js';
import {
  cond,
  gatewayRouteName,
  keyOf,
  nsOf,
  type CompiledParentStatus,
  type CompiledRoutes,
  type RouteInputs,
} from './routes-model.js';
import { attachToGateway } from './routes-parents.js';
import { rankRules, sortRules, type Ranked } from './routes-precedence.js';

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
  const served = servedClassNames(input.classes ?? []);
  const mine = input.gateways.filter((g) => served.has(g.spec.gatewayClassName) && !g.metadata.deletionTimestamp);
  const problems = listenerProblems(mine, input.nodePorts);
  for (const g of mine) {
    const key = keyOf(nsOf(g), g.metadata.name ?? '');
    ours.set(key, g);
    const p = problems.get(key) ?? [];
    out.gateways.set(key, {
      listeners: g.spec.listeners.map((l, i) => ({
        name: l.name,
        attachedRoutes: 0,
        ...(p[i] ? { problem: p[i].problem } : {}),
        ...(p[i]?.heldBy ? { heldBy: p[i].heldBy } : {}),
      })),
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
        // Attached (and counted, as Gateway API counts attachment) but not served: a conflicted listener.
        if (f?.problem) continue;
        const k = `${keyOf(gwNs, ref.name)}:${listener.port}`;
        const entry = byGatewayPort.get(k) ?? { gw, port: listener.port, rules: [] };
        entry.rules.push(...rankRules(route, perRule, hostnames));
        byGatewayPort.set(k, entry);
        for (const b of backends) if (!b.invalid) out.everywhere.add(keyOf(b.namespace, b.name));
      }
    }
    if (parents.length > 0) out.routeParents.set(keyOf(ns, route.metadata.name ?? ''), parents);
  }
  // Every served listener port of our Gateways is served, with no rule answering 404, as Kubernetes' implementations do.
  for (const [gwKey, gw] of ours)
    gw.spec.listeners.forEach((l, i) => {
      const k = `${gwKey}:${l.port}`;
      if (!byGatewayPort.has(k) && !out.gateways.get(gwKey)?.listeners[i]?.problem)
        byGatewayPort.set(k, { gw, port: l.port, rules: [] });
    });
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

/** The informers routes are compiled from (GatewayClasses and ReferenceGrants optional: built-in class, no grants). */
export interface RouteInformers {
  gateways: Informer<Gateway>;
  httpRoutes: Informer<HTTPRoute>;
  services: Informer<Service>;
  gatewayClasses?: Informer<GatewayClass> | undefined;
  referenceGrants?: Informer<ReferenceGrant> | undefined;
}

/** Compiles what the informers hold now: the one input both the route controller and the route table use. */
export function compileFromInformers(i: RouteInformers): CompiledRoutes {
  return compileRoutes({
    gateways: i.gateways.list(),
    routes: i.httpRoutes.list(),
    service: (ns, name) => i.services.get(ns, name),
    classes: i.gatewayClasses?.list() ?? [],
    grants: i.referenceGrants?.list() ?? [],
    nodePorts: serviceNodePorts(i.services.list()),
  });
}

/**
 * The backends of an HTTPRoute's rules, resolved against the Services they name, and the route's
 * `ResolvedRefs` condition: a backend in another namespace is RefNotPermitted unless a ReferenceGrant
 * in that namespace lets HTTPRoutes of the route's namespace refer to that Service; a missing Service
 * or port is BackendNotFound. Unresolved backends stay in the list, marked invalid,
 * so a node answers their share of the traffic with an error as Gateway API asks.
 */
import type { CompiledBackend, HTTPRoute, ReferenceGrant } from '../../api/index.js';
import { GATEWAY_GROUP } from '../../api/index.js';
import { cond, nsOf, type CompiledCondition, type RouteInputs } from './routes-model.js';

/** The route's backends per rule, and its ResolvedRefs condition. */
export function resolveBackends(
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
      if (bNs !== ns && !granted(input.grants ?? [], ns, bNs, ref.name)) {
        problem ??= cond(
          'ResolvedRefs',
          false,
          'RefNotPermitted',
          `backendRef ${bNs}/${ref.name} is in another namespace and no ReferenceGrant there allows it`,
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

/** Whether a ReferenceGrant in `toNs` lets HTTPRoutes of `fromNs` refer to Service `name` (Gateway API's rule). */
export function granted(grants: readonly ReferenceGrant[], fromNs: string, toNs: string, name: string): boolean {
  return grants.some(
    (g) =>
      (g.metadata.namespace ?? 'default') === toNs &&
      !g.metadata.deletionTimestamp &&
      g.spec.from.some((f) => f.group === GATEWAY_GROUP && f.kind === 'HTTPRoute' && f.namespace === fromNs) &&
      g.spec.to.some((t) => t.group === '' && t.kind === 'Service' && (t.name === undefined || t.name === name)),
  );
}

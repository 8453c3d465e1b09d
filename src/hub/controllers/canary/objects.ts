/**
 * What a Canary owns, named and shaped as Flagger does: the `<target>-primary` Deployment (the
 * target's spec with the selecting label's value suffixed `-primary`), the Services `<apex>`
 * (selects the primary, as Flagger's apex), `<apex>-primary` and `<apex>-canary`, and the HTTPRoute
 * `<apex>` that splits the apex Service's traffic (GAMMA) and the Gateways' between the two by weight.
 * Pure: a canary and its target in, desired objects out.
 */
import {
  CANARY_GROUP,
  GATEWAY_GROUP,
  type Canary,
  type Deployment,
  type HTTPRoute,
  type ParentReference,
  type PodTemplateSpec,
  type Service,
} from '../../../api/index.js';
import { ownerRefTo } from '../../reconcile/index.js';

/** The labels Flagger looks for, in order, in the target's selector (`-selector-labels`). */
export const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;

/** The names of what a canary owns. */
export interface CanaryNames {
  target: string;
  primary: string;
  apex: string;
  primaryService: string;
  canaryService: string;
  route: string;
}

/** The names of `cd`'s objects. */
export function namesOf(cd: Canary): CanaryNames {
  const target = cd.spec.targetRef.name;
  const apex = cd.spec.service.name ?? target;
  return {
    target,
    primary: `${target}-primary`,
    apex,
    primaryService: `${apex}-primary`,
    canaryService: `${apex}-canary`,
    route: apex,
  };
}

/** The selecting label of the target (`app`, `name` or `app.kubernetes.io/name`) and its value. */
export function selectorLabel(target: Deployment): { key: string; value: string } | undefined {
  const labels = target.spec.selector.matchLabels ?? {};
  for (const key of SELECTOR_LABELS) {
    const value = labels[key];
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

const primaryValue = (v: string): string => `${v}-primary`;

/** The primary's pod template: the target's with the selecting label's value suffixed. */
export function primaryTemplate(target: Deployment, label: { key: string; value: string }): PodTemplateSpec {
  const tpl = structuredClone(target.spec.template);
  tpl.metadata = { ...tpl.metadata, labels: { ...tpl.metadata?.labels, [label.key]: primaryValue(label.value) } };
  return tpl;
}

/** The `<target>-primary` Deployment, running `template` with `replicas`. */
export function primaryDeployment(
  cd: Canary,
  target: Deployment,
  label: { key: string; value: string },
  replicas: number,
): Deployment {
  const { primary } = namesOf(cd);
  const selector = target.spec.selector;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: primary,
      namespace: cd.metadata.namespace ?? 'default',
      labels: { [label.key]: primaryValue(label.value) },
      ownerReferences: [ownerRefTo(cd)],
    },
    spec: {
      ...target.spec,
      replicas,
      selector: { ...selector, matchLabels: { ...selector.matchLabels, [label.key]: primaryValue(label.value) } },
      template: primaryTemplate(target, label),
    },
  };
}

/** The three Services: apex and primary select the primary's pods, canary the target's. */
export function services(cd: Canary, label: { key: string; value: string }): Service[] {
  const n = namesOf(cd);
  const s = cd.spec.service;
  const port = { name: s.portName ?? 'http', port: s.port, targetPort: s.targetPort ?? s.port };
  const svc = (name: string, value: string): Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: cd.metadata.namespace ?? 'default', ownerReferences: [ownerRefTo(cd)] },
    spec: { selector: { [label.key]: value }, ports: [port] },
  });
  return [
    svc(n.apex, primaryValue(label.value)),
    svc(n.primaryService, primaryValue(label.value)),
    svc(n.canaryService, label.value),
  ];
}

/** The Gateways the route attaches to: `gatewayRefs`, and `gateways` by name (`mesh` is the mesh). */
function gatewayParents(cd: Canary): ParentReference[] {
  const out: ParentReference[] = [...(cd.spec.service.gatewayRefs ?? [])];
  for (const g of cd.spec.service.gateways ?? []) {
    if (g === 'mesh') continue;
    const slash = g.indexOf('/');
    out.push(
      slash < 0
        ? { group: GATEWAY_GROUP, kind: 'Gateway', name: g }
        : { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.slice(0, slash), name: g.slice(slash + 1) },
    );
  }
  return out;
}

/** The HTTPRoute sending `canaryWeight` percent to the canary, the rest to the primary. */
export function route(cd: Canary, canaryWeight: number): HTTPRoute {
  const n = namesOf(cd);
  const s = cd.spec.service;
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: {
      name: n.route,
      namespace: cd.metadata.namespace ?? 'default',
      annotations: { [`${CANARY_GROUP}/canary`]: cd.metadata.name ?? '' },
      ownerReferences: [ownerRefTo(cd)],
    },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: n.apex, port: s.port }, ...gatewayParents(cd)],
      ...(s.hosts?.length ? { hostnames: s.hosts } : {}),
      rules: [
        {
          backendRefs: [
            { name: n.primaryService, port: s.port, weight: 100 - canaryWeight },
            { name: n.canaryService, port: s.port, weight: canaryWeight },
          ],
          ...(s.timeout ? { timeouts: { request: s.timeout } } : {}),
        },
      ],
    },
  };
}

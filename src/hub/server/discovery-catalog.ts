/**
 * What discovery announces: every resource the hub serves, with its verbs, short names, categories
 * and subresources. The legacy lists (`/api/v1`) and the aggregated documents (`/api`, `/apis` as
 * `apidiscovery.k8s.io/v2`) are both written from this one catalog, so they cannot disagree.
 */
import {
  AUTHENTICATION_GROUP,
  COMPONENT_STATUS_KIND,
  AUTHORIZATION_GROUP,
  METRICS_GROUP,
  METRICS_RESOURCES,
  METRICS_VERSION,
  RESOURCE_TYPES,
  type ResourceType,
} from '../../api/index.js';

/** group/version/kind of what a (sub)resource answers with. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** A subresource (`status`, `scale`, `log`, `exec`, `attach`, `portforward`, a node's `proxy`). */
export interface DiscoveredSubresource {
  name: string;
  responseKind: GroupVersionKind;
  verbs: readonly string[];
}

/** One resource as discovery announces it. */
export interface DiscoveredResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: readonly string[];
  shortNames: readonly string[];
  categories: readonly string[];
  subresources: readonly DiscoveredSubresource[];
}

/** The stored kinds' verbs (no `deletecollection`: a collection DELETE is not served). */
const STORED_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;
const SUB_VERBS = ['get', 'patch', 'update'] as const;

/** Kinds `kubectl get all` shows: Kubernetes' `all` category, for the kinds this hub has. */
const ALL_CATEGORY = new Set([
  'Pod',
  'Service',
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'Job',
  'HorizontalPodAutoscaler',
]);

function subresourcesOf(t: ResourceType): DiscoveredSubresource[] {
  const own = { group: t.group, version: t.version, kind: t.kind };
  const subs: DiscoveredSubresource[] = [];
  if (t.hasStatus) subs.push({ name: 'status', responseKind: own, verbs: SUB_VERBS });
  if (t.hasScale)
    subs.push({
      name: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: SUB_VERBS,
    });
  if (t.kind === 'Pod') {
    subs.push({ name: 'log', responseKind: own, verbs: ['get'] });
    // A write that runs a command: POST (`create`), as Kubernetes authorizes it.
    subs.push({
      name: 'exec',
      responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      verbs: ['create', 'get'],
    });
    subs.push({
      name: 'attach',
      responseKind: { group: '', version: 'v1', kind: 'PodAttachOptions' },
      verbs: ['create', 'get'],
    });
    // Another scheduler's placement of a pod (`spec.schedulerName`).
    subs.push({ name: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] });
    subs.push({
      name: 'portforward',
      responseKind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
      verbs: ['create', 'get'],
    });
  }
  // Only GET is proxied (a node's /metrics), so only `get` is announced.
  if (t.kind === 'Node')
    subs.push({ name: 'proxy', responseKind: { group: '', version: 'v1', kind: 'NodeProxyOptions' }, verbs: ['get'] });
  // No `pods/eviction`: without it `kubectl drain` deletes the pods itself, which the hub serves.
  return subs;
}

function stored(t: ResourceType): DiscoveredResource {
  return {
    group: t.group,
    version: t.version,
    plural: t.plural,
    singular: t.singular,
    kind: t.kind,
    namespaced: t.namespaced,
    verbs: STORED_VERBS,
    shortNames: t.shortNames,
    categories: ALL_CATEGORY.has(t.kind) ? ['all'] : [],
    subresources: subresourcesOf(t),
  };
}

/**
 * Kinds that are answered, never stored: access reviews, `whoami` and bindings (create), metrics and
 * component statuses (read).
 */
function answered(): DiscoveredResource[] {
  const review = (kind: string, namespaced = false, group = AUTHORIZATION_GROUP): DiscoveredResource => ({
    group,
    version: 'v1',
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    verbs: ['create'],
    shortNames: [],
    categories: [],
    subresources: [],
  });
  return [
    review('SelfSubjectAccessReview'),
    review('SelfSubjectRulesReview'),
    review('SubjectAccessReview'),
    review('LocalSubjectAccessReview', true),
    review('SelfSubjectReview', false, AUTHENTICATION_GROUP),
    // Read-only kinds answered from the nodes' usage (metrics-server's group).
    ...METRICS_RESOURCES.map((r) => ({
      group: METRICS_GROUP,
      version: METRICS_VERSION,
      plural: r.name,
      // As metrics-server: no singular, so `kubectl get node` never resolves to NodeMetrics.
      singular: '',
      kind: r.kind,
      namespaced: r.namespaced,
      verbs: r.verbs,
      shortNames: [],
      categories: [],
      subresources: [],
    })),
    // Another scheduler's placement of a pod, POSTed to the namespace's collection (binding-route.ts);
    // `pods/binding` is the same write addressed to the pod.
    { ...review('Binding', true, ''), plural: 'bindings', singular: 'binding' },
    // Read-only, answered from what the hubs know of the control plane (component-status-routes.ts).
    {
      ...COMPONENT_STATUS_KIND,
      verbs: ['get', 'list'],
      categories: [],
      subresources: [],
    },
  ];
}

/** Every resource the hub serves, stored kinds first in registry order. */
export const DISCOVERED: readonly DiscoveredResource[] = [...RESOURCE_TYPES.map(stored), ...answered()];

/** A group and its versions, preferred first. */
export interface DiscoveredGroup {
  name: string;
  versions: Array<{ version: string; resources: DiscoveredResource[] }>;
}

/** The catalog by group (the core group `''` first), then version. */
export function discoveredGroups(): DiscoveredGroup[] {
  const groups = new Map<string, DiscoveredGroup>([['', { name: '', versions: [] }]]);
  for (const r of DISCOVERED) {
    const g = groups.get(r.group) ?? { name: r.group, versions: [] };
    groups.set(r.group, g);
    let v = g.versions.find((x) => x.version === r.version);
    if (!v) g.versions.push((v = { version: r.version, resources: [] }));
    v.resources.push(r);
  }
  return [...groups.values()];
}

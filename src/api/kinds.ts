/**
 * The names of the kinds the API serves (apiVersion, URL plural, short names, scope, subresources),
 * apart from their zod types: edgectl resolves `get pods` with these without loading zod and every
 * kind's schema (its start-up time, bench/cli-startup.ts). `registry.ts` adds the schemas.
 */

/** The RBAC API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Edgeplane's token API group. */
export const TOKEN_GROUP = 'auth.edgeplane.io';
/** The Gateway API's group (GatewayClass, Gateway, HTTPRoute, ReferenceGrant). */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Flagger's API group (Canary). */
export const CANARY_GROUP = 'flagger.app';

/** The names of one served kind: everything about it but its zod type. */
export interface ResourceKind {
  /** API group: '' for the core group (`/api/v1`), else e.g. `apps` (`/apis/apps/v1`). */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs (`pods`, `deployments`). */
  plural: string;
  singular: string;
  /** kubectl-style short names (`po`, `deploy`, `svc`). */
  shortNames: readonly string[];
  namespaced: boolean;
  /** Whether the kind has a `/status` subresource (status is then ignored on main-resource writes). */
  hasStatus: boolean;
  /** Whether the kind has a `/scale` subresource. */
  hasScale: boolean;
}

function rt(t: Omit<ResourceKind, 'singular'> & { singular?: string }): ResourceKind {
  return { ...t, singular: t.singular ?? t.kind.toLowerCase() };
}

/** Every kind the hub serves, in the order `edgectl apply` creates them (namespaces first). */
export const RESOURCE_KINDS: readonly ResourceKind[] = [
  rt({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    shortNames: ['ns'],
    namespaced: false,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    shortNames: ['no'],
    namespaced: false,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    shortNames: ['svc'],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    singular: 'endpoints',
    shortNames: ['ep'],
    namespaced: true,
    hasStatus: false,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    shortNames: ['cm'],
    namespaced: true,
    hasStatus: false,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    shortNames: [],
    namespaced: true,
    hasStatus: false,
    hasScale: false,
  }),
  rt({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    namespaced: true,
    hasStatus: true,
    hasScale: true,
  }),
  rt({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    shortNames: ['ds'],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    shortNames: [],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    shortNames: ['rs'],
    namespaced: true,
    hasStatus: true,
    hasScale: true,
  }),
  rt({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    shortNames: ['hpa'],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: GATEWAY_GROUP,
    version: 'v1',
    kind: 'GatewayClass',
    plural: 'gatewayclasses',
    shortNames: ['gc'],
    namespaced: false,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: GATEWAY_GROUP,
    version: 'v1beta1',
    kind: 'ReferenceGrant',
    plural: 'referencegrants',
    shortNames: ['refgrant'],
    namespaced: true,
    hasStatus: false,
    hasScale: false,
  }),
  rt({
    group: GATEWAY_GROUP,
    version: 'v1',
    kind: 'Gateway',
    plural: 'gateways',
    shortNames: ['gtw'],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: GATEWAY_GROUP,
    version: 'v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    shortNames: [],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: CANARY_GROUP,
    version: 'v1beta1',
    kind: 'Canary',
    plural: 'canaries',
    shortNames: [],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    shortNames: ['po'],
    namespaced: true,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    namespaced: true,
    hasStatus: false,
    hasScale: false,
  }),
  // Roles before the bindings that name them, so `apply -f` of a file with both works in one pass.
  ...(
    [
      ['ClusterRole', 'clusterroles', false],
      ['ClusterRoleBinding', 'clusterrolebindings', false],
      ['Role', 'roles', true],
      ['RoleBinding', 'rolebindings', true],
    ] as const
  ).map(([kind, plural, namespaced]) =>
    rt({
      group: RBAC_GROUP,
      version: 'v1',
      kind,
      plural,
      shortNames: [],
      namespaced,
      hasStatus: false,
      hasScale: false,
    }),
  ),
  rt({
    group: TOKEN_GROUP,
    version: 'v1',
    kind: 'Token',
    plural: 'tokens',
    shortNames: [],
    namespaced: false,
    hasStatus: false,
    hasScale: false,
  }),
];

/** `apps/v1` or `v1`. */
export function apiVersionOf(t: Pick<ResourceKind, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** The kind of `apiVersion` + `kind` (`apps/v1`, `Deployment`) in `list`. */
export function findByKind<T extends ResourceKind>(
  list: readonly T[],
  apiVersion: string,
  kind: string,
): T | undefined {
  return list.find((t) => t.kind === kind && apiVersionOf(t) === apiVersion);
}

/** The kind of URL group/version/plural in `list`. */
export function findByPlural<T extends ResourceKind>(
  list: readonly T[],
  group: string,
  version: string,
  plural: string,
): T | undefined {
  return list.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** The kind in `list` of any name a user may type: plural, singular, short name or Kind (case-insensitive). */
export function findByName<T extends ResourceKind>(list: readonly T[], name: string): T | undefined {
  const n = name.toLowerCase();
  // `httproutes.gateway.networking.k8s.io`: the group is everything after the first dot.
  const dot = n.indexOf('.');
  const base = dot < 0 ? n : n.slice(0, dot);
  const group = dot < 0 ? undefined : n.slice(dot + 1);
  return list.find(
    (t) =>
      (group === undefined || t.group === group) &&
      (t.plural === base || t.singular === base || t.kind.toLowerCase() === base || t.shortNames.includes(base)),
  );
}

/** Finds a kind's names by any name a user may type (see `findByName`). */
export function kindByName(name: string): ResourceKind | undefined {
  return findByName(RESOURCE_KINDS, name);
}

/**
 * `v1` ComponentStatus (`componentstatuses`, `cs`): answered by the hub from what it knows of the
 * control plane, never stored, so not in `RESOURCE_KINDS` (read-only: get and list).
 */
export const COMPONENT_STATUS_KIND: ResourceKind = {
  group: '',
  version: 'v1',
  kind: 'ComponentStatus',
  plural: 'componentstatuses',
  singular: 'componentstatus',
  shortNames: ['cs'],
  namespaced: false,
  hasStatus: false,
  hasScale: false,
};

/** The URL of a collection or object: `/apis/apps/v1/namespaces/default/deployments/web`. */
export function resourcePath(t: ResourceKind, namespace?: string, name?: string, sub?: string): string {
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const subPath = sub === undefined ? '' : `/${sub}`;
  return `${root}${ns}/${t.plural}${obj}${subPath}`;
}

/** Finds a kind's names by apiVersion + kind (`v1`, `Pod`). */
export function kindByKind(apiVersion: string, kind: string): ResourceKind | undefined {
  return findByKind(RESOURCE_KINDS, apiVersion, kind);
}

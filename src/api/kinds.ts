/**
 * The names of the kinds the API serves (apiVersion, URL plural, short names, scope, subresources),
 * apart from their zod types: edgectl resolves `get pods` with these without loading zod and every
 * kind's schema (its start-up time, bench/cli-startup.ts). `registry.ts` adds the schemas.
 */

import {
  CANARY_GROUP,
  GATEWAY_GROUP,
  RBAC_GROUP,
  TOKEN_GROUP,
  findByKind,
  findByName,
  type ResourceKind,
} from './resource-kind.js';

export {
  CANARY_GROUP,
  GATEWAY_GROUP,
  RBAC_GROUP,
  TOKEN_GROUP,
  apiVersionOf,
  findByKind,
  findByName,
  findByPlural,
  resourcePath,
  type ResourceKind,
} from './resource-kind.js';

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

/** Finds a kind's names by apiVersion + kind (`v1`, `Pod`). */
export function kindByKind(apiVersion: string, kind: string): ResourceKind | undefined {
  return findByKind(RESOURCE_KINDS, apiVersion, kind);
}

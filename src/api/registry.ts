/**
 * The resource kinds the API serves: their apiVersion, URL plural, scope and schema. Generic code
 * (API routes, store keys, edgectl) looks kinds up here instead of switching on names.
 */
import type { z } from 'zod';
import { ConfigMap, Secret } from './config.js';
import { Event } from './event.js';
import { Namespace } from './namespace.js';
import { Node } from './node.js';
import { Pod } from './pod.js';
import { Token, TOKEN_GROUP } from './token.js';
import { ClusterRole, ClusterRoleBinding, RBAC_GROUP, Role, RoleBinding } from './rbac.js';
import { Endpoints, Service } from './service.js';
import { DaemonSet, Deployment, Job, ReplicaSet } from './workloads.js';
import { HorizontalPodAutoscaler } from './autoscaling.js';
import { GATEWAY_GROUP, Gateway, HTTPRoute } from './gateway.js';

/** Describes one served kind. */
export interface ResourceType {
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
  schema: z.ZodType;
  /** Whether the kind has a `/status` subresource (status is then ignored on main-resource writes). */
  hasStatus: boolean;
  /** Whether the kind has a `/scale` subresource. */
  hasScale: boolean;
}

function rt(t: Omit<ResourceType, 'singular'> & { singular?: string }): ResourceType {
  return { ...t, singular: t.singular ?? t.kind.toLowerCase() };
}

/** Every kind the hub serves, in the order `edgectl apply` creates them (namespaces first). */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  rt({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    shortNames: ['ns'],
    namespaced: false,
    schema: Namespace,
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
    schema: Node,
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
    schema: Service,
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
    schema: Endpoints,
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
    schema: ConfigMap,
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
    schema: Secret,
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
    schema: Deployment,
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
    schema: DaemonSet,
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
    schema: Job,
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
    schema: ReplicaSet,
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
    schema: HorizontalPodAutoscaler,
    hasStatus: true,
    hasScale: false,
  }),
  rt({
    group: GATEWAY_GROUP,
    version: 'v1',
    kind: 'Gateway',
    plural: 'gateways',
    shortNames: ['gtw'],
    namespaced: true,
    schema: Gateway,
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
    schema: HTTPRoute,
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
    schema: Pod,
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
    schema: Event,
    hasStatus: false,
    hasScale: false,
  }),
  // Roles before the bindings that name them, so `apply -f` of a file with both works in one pass.
  ...(
    [
      ['ClusterRole', 'clusterroles', false, ClusterRole],
      ['ClusterRoleBinding', 'clusterrolebindings', false, ClusterRoleBinding],
      ['Role', 'roles', true, Role],
      ['RoleBinding', 'rolebindings', true, RoleBinding],
    ] as const
  ).map(([kind, plural, namespaced, schema]) =>
    rt({
      group: RBAC_GROUP,
      version: 'v1',
      kind,
      plural,
      shortNames: [],
      namespaced,
      schema,
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
    schema: Token,
    hasStatus: false,
    hasScale: false,
  }),
];

/** `apps/v1` or `v1`. */
export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Finds a kind by apiVersion + kind (`apps/v1`, `Deployment`). */
export function typeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.kind === kind && apiVersionOf(t) === apiVersion);
}

/** Finds a kind by URL group/version/plural. */
export function typeByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** Finds a kind by any name a user may type: plural, singular, short name or Kind (case-insensitive). */
export function typeByName(name: string): ResourceType | undefined {
  const n = name.toLowerCase();
  // `httproutes.gateway.networking.k8s.io`: the group is everything after the first dot.
  const dot = n.indexOf('.');
  const base = dot < 0 ? n : n.slice(0, dot);
  const group = dot < 0 ? undefined : n.slice(dot + 1);
  return RESOURCE_TYPES.find(
    (t) =>
      (group === undefined || t.group === group) &&
      (t.plural === base || t.singular === base || t.kind.toLowerCase() === base || t.shortNames.includes(base)),
  );
}

/** The URL of a collection or object: `/apis/apps/v1/namespaces/default/deployments/web`. */
export function resourcePath(t: ResourceType, namespace?: string, name?: string, sub?: string): string {
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const subPath = sub === undefined ? '' : `/${sub}`;
  return `${root}${ns}/${t.plural}${obj}${subPath}`;
}

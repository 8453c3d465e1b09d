/**
 * The neutral operation model of the OpenAPI documents (operations.ts) and its parts: query
 * parameters, patch media types, and the names and paths of a kind's operations.
 */
import type { ResourceType } from '../../../api/index.js';
import type { Definitions } from './definitions.js';
import { gvkOf } from './names.js';

/** An operation's HTTP method. */
export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';

/** A query parameter of an operation. */
export interface QueryParam {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  description: string;
}

/** One operation of a path. */
export interface Operation {
  method: HttpMethod;
  operationId: string;
  description: string;
  /** `x-kubernetes-action`. */
  action: 'list' | 'watch' | 'get' | 'post' | 'put' | 'patch' | 'delete';
  gvk: { group: string; kind: string; version: string };
  query: readonly QueryParam[];
  /** The body's definition and the media types accepted for it. */
  body?: { schema: string; contentTypes: readonly string[] };
  response: { code: '200' | '201'; schema: string };
}

/** A path and its operations. */
export interface PathItem {
  path: string;
  /** Path parameters in order (`namespace`, `name`). */
  params: readonly string[];
  operations: readonly Operation[];
}

const q = (name: string, type: QueryParam['type'], description: string): QueryParam => ({ name, type, description });

export const LIST_PARAMS: readonly QueryParam[] = [
  q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'),
  q(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields (metadata.name, metadata.namespace, spec.nodeName).',
  ),
  q('limit', 'integer', 'The most items to return; the list then carries a continue token.'),
  q('continue', 'string', 'The continue token of the previous page.'),
  q('resourceVersion', 'string', 'With watch: the resourceVersion to watch from.'),
  q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of events.'),
  q('allowWatchBookmarks', 'boolean', 'With watch: send BOOKMARK events.'),
  q('timeoutSeconds', 'integer', 'With watch: end the call after this many seconds.'),
];

/** Honoured on create, update and patch (see field-validation.ts). */
export const FIELD_VALIDATION: QueryParam = q(
  'fieldValidation',
  'string',
  'How the server treats unknown fields in the request body: Strict (the default here) fails the request naming each field; Warn drops them and names each in a Warning header; Ignore drops them silently.',
);

export const DELETE_PARAMS: readonly QueryParam[] = [
  q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes it at once.'),
  q(
    'propagationPolicy',
    'string',
    'Whether and how dependents are garbage collected: Orphan, Background or Foreground.',
  ),
];

/**
 * The patch media types of a Kubernetes kind's PATCH operations, as Kubernetes lists them for its
 * built-in kinds. Listing strategic merge patch makes kubectl (apply, diff) compute its patches from
 * this document's `x-kubernetes-patch-merge-key`s (patch-extensions.ts), the hub's own table.
 */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/**
 * Edgeplane's own kinds (Token) are to kubectl what custom resources are: not in its scheme, so no
 * strategic merge patch listed (kubectl would compute one and then have no type to apply it to
 * locally); JSON merge patch instead, as for a CRD.
 */
export const CUSTOM_PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/** A group Kubernetes itself serves: the core group, `apps`, `batch`, `rbac.authorization.k8s.io`. */
export function isKubernetesGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, `` → `Core`, as Kubernetes' operation ids. */
export function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** The names one kind's operations are built from. */
export interface KindRoutes {
  kindDef: string;
  gvk: Operation['gvk'];
  /** `CoreV1`, `AppsV1`: the group-version word of Kubernetes' operation ids. */
  gv: string;
  /** `Namespaced` for a namespaced kind, else empty. */
  scope: string;
  /** `/api/v1`, `/apis/apps/v1`. */
  root: string;
  /** The collection's path (with `{namespace}` for a namespaced kind). */
  base: string;
  scopeParams: string[];
}

/** The names and paths of `t`'s operations. */
export function kindRoutes(t: ResourceType, defs: Definitions): KindRoutes {
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return {
    kindDef: defs.kindName.get(t)!,
    gvk: gvkOf(t),
    gv: `${groupWord(t.group)}${t.version.charAt(0).toUpperCase()}${t.version.slice(1)}`,
    scope: t.namespaced ? 'Namespaced' : '',
    root,
    base: t.namespaced ? `${root}/namespaces/{namespace}/${t.plural}` : `${root}/${t.plural}`,
    scopeParams: t.namespaced ? ['namespace'] : [],
  };
}

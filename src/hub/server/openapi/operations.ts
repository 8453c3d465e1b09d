/**
 * The REST operations of every kind, as the hub serves them (resource-routes.ts): one neutral model
 * that the OpenAPI v3 and v2 documents both render. Only what the hub honours is listed: kubectl
 * reads these lists (a PATCH operation's `fieldValidation` parameter tells it the server validates
 * fields itself, so it skips client-side validation).
 */
import type { ResourceType } from '../../../api/index.js';
import { isAnswered, type AnsweredType } from './answered.js';
import type { Definitions } from './definitions.js';
import { META_PACKAGE, SCALE, gvkOf } from './names.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';

export interface QueryParam {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  description: string;
}

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

export interface PathItem {
  path: string;
  /** Path parameters in order (`namespace`, `name`). */
  params: readonly string[];
  operations: readonly Operation[];
}

const q = (name: string, type: QueryParam['type'], description: string): QueryParam => ({ name, type, description });

const LIST_PARAMS: readonly QueryParam[] = [
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

const DELETE_PARAMS: readonly QueryParam[] = [
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
function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** The paths and operations of one kind, stored or answered. */
export function operationsOf(t: ResourceType, defs: Definitions): PathItem[] {
  return isAnswered(t) ? answeredOperationsOf(t, defs) : storedOperationsOf(t, defs);
}

/** What an answered kind serves: a review's create (answered at once, 201 as Kubernetes), a read-only kind's list and read. */
function answeredOperationsOf(t: AnsweredType, defs: Definitions): PathItem[] {
  const kindDef = defs.kindName.get(t)!;
  const gvk = gvkOf(t);
  const gv = `${groupWord(t.group)}${t.version.charAt(0).toUpperCase()}${t.version.slice(1)}`;
  const scope = t.namespaced ? 'Namespaced' : '';
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const base = t.namespaced ? `${root}/namespaces/{namespace}/${t.plural}` : `${root}/${t.plural}`;
  const scopeParams = t.namespaced ? ['namespace'] : [];
  if (t.answers === 'create')
    return [
      {
        path: base,
        params: scopeParams,
        operations: [
          {
            method: 'post',
            operationId: `create${gv}${scope}${t.kind}`,
            description: `create a ${t.kind}`,
            action: 'post',
            gvk,
            query: [],
            body: { schema: kindDef, contentTypes: ['application/json'] },
            response: { code: '201', schema: kindDef },
          },
        ],
      },
    ];
  const listDef = defs.listName.get(t)!;
  const list = (path: string, params: string[], operationId: string): PathItem => ({
    path,
    params,
    operations: [
      {
        method: 'get',
        operationId,
        description: `list objects of kind ${t.kind}`,
        action: 'list',
        gvk,
        query: LIST_PARAMS.filter((p) => p.name === 'labelSelector' || p.name === 'fieldSelector'),
        response: { code: '200', schema: listDef },
      },
    ],
  });
  const items: PathItem[] = [
    list(base, scopeParams, `list${gv}${scope}${t.kind}`),
    {
      path: `${base}/{name}`,
      params: [...scopeParams, 'name'],
      operations: [
        {
          method: 'get',
          operationId: `read${gv}${scope}${t.kind}`,
          description: `read the specified ${t.kind}`,
          action: 'get',
          gvk,
          query: [],
          response: { code: '200', schema: kindDef },
        },
      ],
    },
  ];
  if (t.namespaced) items.push(list(`${root}/${t.plural}`, [], `list${gv}${t.kind}ForAllNamespaces`));
  return items;
}

function storedOperationsOf(t: ResourceType, defs: Definitions): PathItem[] {
  const kindDef = defs.kindName.get(t)!;
  const listDef = defs.listName.get(t)!;
  const gvk = gvkOf(t);
  const gv = `${groupWord(t.group)}${t.version.charAt(0).toUpperCase()}${t.version.slice(1)}`;
  const scope = t.namespaced ? 'Namespaced' : '';
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const base = t.namespaced ? `${root}/namespaces/{namespace}/${t.plural}` : `${root}/${t.plural}`;
  const scopeParams = t.namespaced ? ['namespace'] : [];
  const id = (verb: string, suffix = ''): string => `${verb}${gv}${scope}${t.kind}${suffix}`;
  const json = ['application/json'];
  const patchTypes = isKubernetesGroup(t.group) ? PATCH_CONTENT_TYPES : CUSTOM_PATCH_CONTENT_TYPES;

  const items: PathItem[] = [
    {
      path: base,
      params: scopeParams,
      operations: [
        {
          method: 'get',
          operationId: id('list'),
          description: `list or watch objects of kind ${t.kind}`,
          action: 'list',
          gvk,
          query: LIST_PARAMS,
          response: { code: '200', schema: listDef },
        },
        {
          method: 'post',
          operationId: id('create'),
          description: `create a ${t.kind}`,
          action: 'post',
          gvk,
          query: [FIELD_VALIDATION],
          body: { schema: kindDef, contentTypes: json },
          response: { code: '201', schema: kindDef },
        },
      ],
    },
    {
      path: `${base}/{name}`,
      params: [...scopeParams, 'name'],
      operations: [
        {
          method: 'get',
          operationId: id('read'),
          description: `read the specified ${t.kind}`,
          action: 'get',
          gvk,
          query: [],
          response: { code: '200', schema: kindDef },
        },
        {
          method: 'put',
          operationId: id('replace'),
          description: `replace the specified ${t.kind}`,
          action: 'put',
          gvk,
          query: [FIELD_VALIDATION],
          body: { schema: kindDef, contentTypes: json },
          response: { code: '200', schema: kindDef },
        },
        {
          method: 'patch',
          operationId: id('patch'),
          description: `partially update the specified ${t.kind}`,
          action: 'patch',
          gvk,
          query: [FIELD_VALIDATION],
          body: { schema: `${META_PACKAGE}.Patch`, contentTypes: patchTypes },
          response: { code: '200', schema: kindDef },
        },
        {
          method: 'delete',
          operationId: id('delete'),
          description: `delete a ${t.kind}`,
          action: 'delete',
          gvk,
          query: DELETE_PARAMS,
          body: { schema: `${META_PACKAGE}.DeleteOptions`, contentTypes: json },
          response: { code: '200', schema: kindDef },
        },
      ],
    },
  ];
  if (t.namespaced)
    items.push({
      path: `${root}/${t.plural}`,
      params: [],
      operations: [
        {
          method: 'get',
          operationId: `list${gv}${t.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${t.kind} in every namespace`,
          action: 'list',
          gvk,
          query: LIST_PARAMS,
          response: { code: '200', schema: listDef },
        },
      ],
    });
  const sub = (name: 'status' | 'scale', schema: string, subGvk: Operation['gvk']): PathItem => {
    const word = name === 'status' ? 'Status' : 'Scale';
    // `/scale` reads only spec.replicas (scale.ts) and does not take fieldValidation.
    const writeQuery = name === 'status' ? [FIELD_VALIDATION] : [];
    return {
      path: `${base}/{name}/${name}`,
      params: [...scopeParams, 'name'],
      operations: [
        {
          method: 'get',
          operationId: id('read', word),
          description: `read ${name} of the specified ${t.kind}`,
          action: 'get',
          gvk: subGvk,
          query: [],
          response: { code: '200', schema },
        },
        {
          method: 'put',
          operationId: id('replace', word),
          description: `replace ${name} of the specified ${t.kind}`,
          action: 'put',
          gvk: subGvk,
          query: writeQuery,
          body: { schema, contentTypes: json },
          response: { code: '200', schema },
        },
        {
          method: 'patch',
          operationId: id('patch', word),
          description: `partially update ${name} of the specified ${t.kind}`,
          action: 'patch',
          gvk: subGvk,
          query: writeQuery,
          body: { schema: `${META_PACKAGE}.Patch`, contentTypes: patchTypes },
          response: { code: '200', schema },
        },
      ],
    };
  };
  if (t.hasStatus) items.push(sub('status', kindDef, gvk));
  if (t.hasScale) items.push(sub('scale', SCALE, { group: 'autoscaling', kind: 'Scale', version: 'v1' }));
  return items;
}

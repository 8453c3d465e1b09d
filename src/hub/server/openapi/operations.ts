/**
 * The REST operations of every kind, as the hub serves them (resource-routes.ts): one neutral model
 * that the OpenAPI v3 and v2 documents both render. Only what the hub honours is listed: kubectl
 * reads these lists (a PATCH operation's `fieldValidation` parameter tells it the server validates
 * fields itself, so it skips client-side validation). A stored kind's operations are
 * stored-operations.ts's; the model's parts, operation-parts.ts's.
 */
import type { ResourceType } from '../../../api/index.js';
import { isAnswered, type AnsweredType } from './answered.js';
import type { Definitions } from './definitions.js';
import { LIST_PARAMS, kindRoutes, type PathItem } from './operation-parts.js';
import { storedOperationsOf } from './stored-operations.js';

export { FIELD_VALIDATION, PATCH_CONTENT_TYPES, type Operation, type PathItem } from './operation-parts.js';

/** The paths and operations of one kind, stored or answered. */
export function operationsOf(t: ResourceType, defs: Definitions): PathItem[] {
  return isAnswered(t) ? answeredOperationsOf(t, defs) : storedOperationsOf(t, defs);
}

/** What an answered kind serves: a review's create (answered at once, 201 as Kubernetes), a read-only kind's list and read. */
function answeredOperationsOf(t: AnsweredType, defs: Definitions): PathItem[] {
  const { kindDef, gvk, gv, scope, root, base, scopeParams } = kindRoutes(t, defs);
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

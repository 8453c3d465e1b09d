/** The REST operations of a stored kind (see operations.ts): list/watch, create, read, replace, patch, delete, subresources. */
import type { ResourceType } from '../../../api/index.js';
import type { Definitions } from './definitions.js';
import { META_PACKAGE, SCALE } from './names.js';
import {
  CUSTOM_PATCH_CONTENT_TYPES,
  DELETE_PARAMS,
  FIELD_VALIDATION,
  LIST_PARAMS,
  PATCH_CONTENT_TYPES,
  isKubernetesGroup,
  kindRoutes,
  type Operation,
  type PathItem,
} from './operation-parts.js';

/** What a stored kind serves: its collection, its objects, `/status` and `/scale` where it has them. */
export function storedOperationsOf(t: ResourceType, defs: Definitions): PathItem[] {
  const { kindDef, gvk, gv, scope, root, base, scopeParams } = kindRoutes(t, defs);
  const listDef = defs.listName.get(t)!;
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

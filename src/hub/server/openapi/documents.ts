/**
 * The OpenAPI documents: v3 per group/version (`/openapi/v3/apis/apps/v1`) and the v2 (Swagger 2.0)
 * document of everything (`/openapi/v2`), rendered from the definitions and the operation model.
 */
import { RESOURCE_TYPES, apiVersionOf, type ResourceType } from '../../../api/index.js';
import { ANSWERED_TYPES } from './answered.js';
import { buildDefinitions, type Definitions } from './definitions.js';
import { v3Ref, type JsonSchema } from './names.js';
import { refsOf, toV2Refs } from './normalize.js';
import { operationsOf, type Operation, type PathItem } from './operations.js';

/** `api/v1`, `apis/apps/v1`: the key of a group/version in the v3 index. */
export function gvPath(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`;
}

const PATH_PARAM_TEXT: Record<string, string> = {
  namespace: 'object name and auth scope, such as for teams and projects',
  name: 'name of the object',
};

/** The definitions `roots` need, themselves included, closed over `$ref`. */
function closure(roots: Iterable<string>, defs: Definitions): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (name in out) continue;
    const s = defs.schemas.get(name);
    if (!s) continue;
    out[name] = s;
    queue.push(...refsOf(s));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function operationRoots(items: readonly PathItem[]): string[] {
  return items.flatMap((i) => i.operations.flatMap((o) => [o.response.schema, ...(o.body ? [o.body.schema] : [])]));
}

function v3Operation(o: Operation): JsonSchema {
  return {
    description: o.description,
    operationId: o.operationId,
    parameters: o.query.map((p) => ({
      name: p.name,
      in: 'query',
      description: p.description,
      schema: { type: p.type, uniqueItems: true },
    })),
    ...(o.body
      ? {
          requestBody: {
            content: Object.fromEntries(
              o.body.contentTypes.map((c) => [c, { schema: { $ref: v3Ref(o.body!.schema) } }]),
            ),
            required: true,
          },
        }
      : {}),
    responses: {
      [o.response.code]: {
        description: o.response.code === '201' ? 'Created' : 'OK',
        content: { 'application/json': { schema: { $ref: v3Ref(o.response.schema) } } },
      },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

/** The `paths` object of a v3 or v2 document: each item's path parameters in that dialect's form, and its operations. */
function pathsOf(items: readonly PathItem[], dialect: 'v2' | 'v3'): JsonSchema {
  const paths: JsonSchema = {};
  for (const item of items) {
    const entry: JsonSchema = {
      parameters: item.params.map((p) => ({
        name: p,
        in: 'path',
        description: PATH_PARAM_TEXT[p] ?? p,
        required: true,
        ...(dialect === 'v2'
          ? { type: 'string', uniqueItems: true }
          : { schema: { type: 'string', uniqueItems: true } }),
      })),
    };
    for (const o of item.operations) entry[o.method] = dialect === 'v2' ? v2Operation(o) : v3Operation(o);
    paths[item.path] = entry;
  }
  return paths;
}

function v2Operation(o: Operation): JsonSchema {
  const body = o.body
    ? [{ name: 'body', in: 'body', required: true, schema: { $ref: `#/definitions/${o.body.schema}` } }]
    : [];
  return {
    description: o.description,
    operationId: o.operationId,
    consumes: o.body ? [...o.body.contentTypes] : ['*/*'],
    produces: ['application/json'],
    schemes: ['https'],
    parameters: [
      ...body,
      ...o.query.map((p) => ({
        name: p.name,
        in: 'query',
        description: p.description,
        type: p.type,
        uniqueItems: true,
      })),
    ],
    responses: {
      [o.response.code]: {
        description: o.response.code === '201' ? 'Created' : 'OK',
        schema: { $ref: `#/definitions/${o.response.schema}` },
      },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

/**
 * The v2 flavour of a schema: OpenAPI 3.0's `nullable` (no Swagger 2.0 equivalent) dropped, IntOrString a
 * string, a described `$ref` without its allOf wrapper.
 */
function v2Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(v2Schema);
  if (s === null || typeof s !== 'object') return s;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'nullable') out[k] = v2Schema(v);
  if (out.format === 'int-or-string') out.type = 'string';
  // Kubernetes' v2 puts a field's description beside its `$ref`; kubectl's v2 reader follows no allOf.
  const all = out.allOf;
  if (Array.isArray(all) && all.length === 1) {
    const only = all[0] as JsonSchema;
    if (typeof only.$ref === 'string') {
      delete out.allOf;
      out.$ref = only.$ref;
    }
  }
  return out;
}

/** The documents, built once; the routes serialize and cache them. */
export interface OpenApiDocuments {
  /** Group/version path (`apis/apps/v1`) → OpenAPI v3 document. */
  v3: ReadonlyMap<string, JsonSchema>;
  v2: JsonSchema;
}

/** Builds every document from the definitions (`buildDefinitions()` when not given). */
export function buildDocuments(version: string, defs: Definitions = buildDefinitions()): OpenApiDocuments {
  const byGv = new Map<string, ResourceType[]>();
  for (const t of [...RESOURCE_TYPES, ...ANSWERED_TYPES]) byGv.set(gvPath(t), [...(byGv.get(gvPath(t)) ?? []), t]);

  const info = { title: 'Edgeplane', version };
  const v3 = new Map<string, JsonSchema>();
  const allItems: PathItem[] = [];
  for (const [gv, types] of byGv) {
    const items = types.flatMap((t) => operationsOf(t, defs));
    allItems.push(...items);
    v3.set(gv, {
      openapi: '3.0.0',
      info,
      paths: pathsOf(items, 'v3'),
      components: { schemas: closure(operationRoots(items), defs) },
    });
  }

  const v2Definitions = closure(defs.schemas.keys(), defs);
  const v2: JsonSchema = {
    swagger: '2.0',
    info,
    paths: pathsOf(allItems, 'v2'),
    definitions: Object.fromEntries(Object.entries(v2Definitions).map(([k, s]) => [k, v2Schema(toV2Refs(s))])),
    securityDefinitions: {
      BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' },
    },
    security: [{ BearerToken: [] }],
  };
  return { v3, v2 };
}

/** The apiVersions the documents cover (stored and answered kinds), for tests and the log. */
export const coveredApiVersions = (): string[] => [
  ...new Set([...RESOURCE_TYPES, ...ANSWERED_TYPES].map((t) => apiVersionOf(t))),
];

/**
 * The OpenAPI definitions of every served kind, generated from the zod schemas of `src/api` (the
 * single source of truth) with zod's `z.toJSONSchema`. Every exported zod object schema of `src/api`
 * becomes a named definition when a kind reaches it (`Container`, `DeploymentStrategy`, …); the rest
 * is inlined. Names follow Kubernetes: a schema lives in the package of the first group/version that
 * reaches it (core first), meta/v1 shapes in apimachinery's package.
 */
import { z } from 'zod';
import * as api from '../../../api/index.js';
import { RESOURCE_TYPES, type ResourceType } from '../../../api/index.js';
import {
  INT_OR_STRING,
  META_PACKAGE,
  META_SCHEMAS,
  QUANTITY,
  SCALE,
  gvkOf,
  packageOf,
  v3Ref,
  type JsonSchema,
} from './names.js';
import { ANSWERED_TYPES, isAnswered } from './answered.js';
import { normalizeSchema, refsOf } from './normalize.js';
import { addPatchExtensions } from './patch-extensions.js';

/** The definitions and, per kind, the name of its definition and of its list's. */
export interface Definitions {
  /** Definition name → schema (OpenAPI v3 flavour: refs under `#/components/schemas/`). */
  schemas: ReadonlyMap<string, JsonSchema>;
  kindName: ReadonlyMap<ResourceType, string>;
  listName: ReadonlyMap<ResourceType, string>;
}

/** Every kind described: the stored kinds, then those answered and never stored (reviews, metrics). */
const KINDS: readonly ResourceType[] = [...RESOURCE_TYPES, ...ANSWERED_TYPES];

/** The quantity schemas of `src/api` (bounded per resource there); one Quantity definition here. */
const QUANTITY_EXPORTS = new Set(['Quantity', 'CpuQuantity', 'MemoryQuantity']);
/** Recursive (lazy) schemas named here and described by hand, as Kubernetes describes them: an opaque object. */
const OPAQUE_EXPORTS = new Set(['FieldsV1']);

const FIXED: Record<string, JsonSchema> = {
  [QUANTITY]: {
    type: 'string',
    description:
      'A fixed-point number with an optional suffix: `500m` (milli), `2`, `128Mi` (binary), `1G` (decimal). ' +
      'A plain number is accepted too.',
  },
  [`${META_PACKAGE}.Patch`]: {
    type: 'object',
    description: 'The body of a PATCH request: a JSON Patch or a JSON merge patch, chosen by its content type.',
  },
  [`${META_PACKAGE}.FieldsV1`]: {
    type: 'object',
    description:
      'The set of fields a manager owns, as a trie: `f:<name>` a field, `k:<keys>` a list item by its keys, ' +
      '`v:<value>` a set item, `.` the node itself.',
  },
  // No `type` in v3 (either is allowed; kubectl explain then prints `<IntOrString>`); v2 says string.
  [INT_OR_STRING]: {
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
    description: 'An integer or a string (a port number or name, a count or a percentage such as `25%`).',
  },
};

/**
 * Every zod schema the kinds' schemas are built from, found by walking their definitions (`shape`,
 * `innerType`, `element`, `options`, …: whatever a definition holds). Milliseconds; it keeps the wire
 * protocol's schemas out of the generation, which would triple its cost.
 */
function reachable(roots: readonly z.ZodType[]): Set<z.ZodType> {
  const seen = new Set<z.ZodType>();
  const visit = (v: unknown, depth: number): void => {
    if (v instanceof z.ZodType) {
      if (seen.has(v)) return;
      seen.add(v);
      // A described field (`DeploymentSpec.describe(…)`) is a clone whose parent is the named schema.
      visit(v._zod.parent, 0);
      visit(v._zod.def, 0);
      return;
    }
    // A definition's schemas sit at most two levels down (`shape.name`, `options[i]`).
    if (depth > 2 || v === null || typeof v !== 'object') return;
    for (const c of Array.isArray(v) ? v : Object.values(v)) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return seen;
}

/** Schemas the kinds use, named by their `src/api` export, keyed by identity; the first export wins. */
function namedExports(): Map<z.ZodType, string> {
  const used = reachable([...KINDS.map((t) => t.schema), api.Scale, api.Status, api.DeleteOptions, api.ListMeta]);
  const names = new Map<z.ZodType, string>();
  for (const [name, value] of Object.entries(api)) {
    if (!(value instanceof z.ZodType) || names.has(value) || !used.has(value)) continue;
    if (value instanceof z.ZodObject || QUANTITY_EXPORTS.has(name) || OPAQUE_EXPORTS.has(name)) names.set(value, name);
  }
  // A kind whose schema is not exported under its own name still gets one.
  for (const t of KINDS) if (!names.has(t.schema)) names.set(t.schema, t.kind);
  return names;
}

/** Per provisional id, the package of the first kind (in preference order) that reaches it. */
function homePackages(raw: Record<string, JsonSchema>, kindIds: Map<ResourceType, string>): Map<string, string> {
  const home = new Map<string, string>();
  // Core first: Container, Volume and the like belong to core/v1 whichever workload also uses them.
  const ordered = [...KINDS].sort((a, b) => Number(a.group !== '') - Number(b.group !== ''));
  for (const t of ordered) {
    const pkg = packageOf(t);
    const queue = [kindIds.get(t) ?? t.kind];
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (home.has(id)) continue;
      home.set(id, pkg);
      for (const ref of refsOf(raw[id])) queue.push(ref);
    }
  }
  return home;
}

/** Pod shapes Kubernetes keeps in core/v1 though only workloads of other groups reach them here. */
const CORE_SCHEMAS: ReadonlySet<string> = new Set(['PodTemplateSpec']);

function finalName(id: string, home: ReadonlyMap<string, string>): string {
  if (QUANTITY_EXPORTS.has(id)) return QUANTITY;
  if (CORE_SCHEMAS.has(id)) return `io.k8s.api.core.v1.${id}`;
  if (id === 'Scale') return SCALE;
  if (META_SCHEMAS.has(id)) return `${META_PACKAGE}.${id}`;
  return `${home.get(id) ?? META_PACKAGE}.${id}`;
}

/** Kubernetes does not repeat the constant apiVersion/kind as enums; kubectl explain prints them plainly. */
function plainTypeMeta(s: JsonSchema, t: ResourceType | undefined): JsonSchema {
  const props = s.properties as Record<string, JsonSchema> | undefined;
  if (!props) return s;
  const out = { ...props };
  const describe = (name: 'apiVersion' | 'kind', text: string): void => {
    const p = out[name];
    if (!p) return;
    const rest = { ...p };
    delete rest.enum;
    delete rest.const;
    out[name] = { description: text, ...rest, type: 'string' };
  };
  describe(
    'apiVersion',
    `APIVersion defines the versioned schema of this representation of an object${t ? ` (${t.group === '' ? t.version : `${t.group}/${t.version}`})` : ''}.`,
  );
  describe(
    'kind',
    `Kind is a string value representing the REST resource this object represents${t ? ` (${t.kind})` : ''}.`,
  );
  return { ...s, properties: out };
}

/** Generates the definitions: run once per hub (the documents are cached), a few tens of milliseconds. */
export function buildDefinitions(): Definitions {
  const names = namedExports();
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of names) registry.add(schema, { id });
  const { schemas: raw } = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
    io: 'input',
    // Refinements and transforms (quantities, durations) have no JSON Schema; their base type stays.
    unrepresentable: 'any',
    uri: (id) => v3Ref(id),
  }) as { schemas: Record<string, JsonSchema> };

  const kindIds = new Map<ResourceType, string>(KINDS.map((t) => [t, names.get(t.schema) ?? t.kind]));
  const home = homePackages(raw, kindIds);
  const reached = new Set([...home.keys(), 'Scale', 'ListMeta', 'Status', 'DeleteOptions']);
  for (const id of ['Scale', 'Status', 'DeleteOptions']) for (const r of refsOf(raw[id])) reached.add(r);
  const rename = new Map<string, string>();
  for (const id of reached) rename.set(id, finalName(id, home));

  const byId = new Map<string, ResourceType>([...kindIds].map(([t, id]) => [id, t]));
  const schemas = new Map<string, JsonSchema>(Object.entries(FIXED));
  for (const id of reached) {
    const name = rename.get(id)!;
    if (schemas.has(name) || raw[id] === undefined) continue;
    const t = byId.get(id);
    let s = plainTypeMeta(normalizeSchema(raw[id], rename), t);
    if (t) s = { ...s, 'x-kubernetes-group-version-kind': [gvkOf(t)] };
    if (id === 'Scale')
      s = { ...s, 'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }] };
    schemas.set(name, s);
  }

  const kindName = new Map<ResourceType, string>();
  const listName = new Map<ResourceType, string>();
  for (const t of KINDS) {
    const name = rename.get(kindIds.get(t)!)!;
    kindName.set(t, name);
    // A review is created and answered, never listed.
    if (isAnswered(t) && t.answers === 'create') continue;
    const list = `${name}List`;
    listName.set(t, list);
    schemas.set(list, listSchema(t, name));
  }
  // Patch strategies are for the stored kinds: nothing patches a review or a metrics object.
  addPatchExtensions(schemas, new Map([...kindName].filter(([t]) => !isAnswered(t))));
  return { schemas, kindName, listName };
}

function listSchema(t: ResourceType, itemName: string): JsonSchema {
  const kind = `${t.kind}List`;
  return plainTypeMeta(
    {
      description: `${kind} is a list of ${t.kind} objects.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: {
          allOf: [{ $ref: v3Ref(`${META_PACKAGE}.ListMeta`) }],
          description: 'Standard list metadata: resourceVersion and the continue token of a paged list.',
        },
        items: { type: 'array', items: { $ref: v3Ref(itemName) }, description: `The ${t.plural}.` },
      },
      'x-kubernetes-group-version-kind': [{ group: t.group, kind, version: t.version }],
    },
    undefined,
  );
}

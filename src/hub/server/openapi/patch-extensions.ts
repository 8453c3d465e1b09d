/**
 * The patch extensions of the OpenAPI definitions, from the one table of patch metadata
 * (`src/api/patch-meta.ts`), placed where Kubernetes places them: on the property of the struct
 * that holds the field (`PodSpec.properties.containers` carries `x-kubernetes-patch-merge-key: name`,
 * `x-kubernetes-patch-strategy: merge`, `x-kubernetes-list-type: map`, `x-kubernetes-list-map-keys:
 * [name]`), and `x-kubernetes-map-type: atomic` on an atomic struct's own definition (LabelSelector) or
 * on an atomic map's property. kubectl's client-side apply, `diff` and `edit` read the merge keys from
 * here (strategicpatch.PatchMetaFromOpenAPIV3) once the PATCH operations list strategic merge patch.
 */
import { patchMetaOf, type PatchField, type PatchNode, type ResourceType } from '../../../api/index.js';
import type { JsonSchema } from './names.js';

const REF_PREFIX = '#/components/schemas/';

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The definition a property refers to: `$ref`, or the `allOf: [{$ref}]` wrapper of a described ref. */
function refOf(s: JsonSchema): string | undefined {
  if (typeof s.$ref === 'string' && s.$ref.startsWith(REF_PREFIX)) return s.$ref.slice(REF_PREFIX.length);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const members = s[key];
    if (!Array.isArray(members)) continue;
    for (const m of members) if (isSchema(m) && refOf(m)) return refOf(m);
  }
  return undefined;
}

/**
 * The `x-kubernetes-*` keys of one field. `strategy: 'replace'` has no extension: Kubernetes marks
 * such lists (managedFields) only `x-kubernetes-list-type: atomic`, which the table gives as well.
 */
export function extensionsOf(f: PatchField): JsonSchema {
  const out: JsonSchema = {};
  const strategies = [...(f.strategy === 'merge' ? ['merge'] : []), ...(f.retainKeys ? ['retainKeys'] : [])];
  if (f.listType) out['x-kubernetes-list-type'] = f.listType;
  if (f.mapKeys) out['x-kubernetes-list-map-keys'] = [...f.mapKeys];
  if (f.mergeKey) out['x-kubernetes-patch-merge-key'] = f.mergeKey;
  if (strategies.length > 0) out['x-kubernetes-patch-strategy'] = strategies.join(',');
  return out;
}

const ATOMIC = { 'x-kubernetes-map-type': 'atomic' } as const;

/**
 * Returns `s` (a struct's schema) with the extensions of `n`'s fields on its properties. A `$ref`'d
 * struct is annotated in `defs` in place of the reference, which is returned as it was: a definition
 * such as Container is shared by every kind that reaches it, and the table agrees across them.
 */
function annotateStruct(s: JsonSchema, n: PatchNode, defs: Map<string, JsonSchema>): JsonSchema {
  const ref = refOf(s);
  if (ref !== undefined) {
    const def = defs.get(ref);
    if (def) defs.set(ref, annotateStruct(def, n, defs));
    return s;
  }
  const props = s.properties;
  if (!isSchema(props)) return s;
  const out: JsonSchema = { ...props };
  for (const [key, field] of Object.entries(n.fields)) {
    const prop = out[key];
    if (!isSchema(prop)) continue;
    let next: JsonSchema = { ...prop, ...extensionsOf(field) };
    const items = next.type === 'array' && isSchema(next.items) ? next.items : undefined;
    if (field.atomic && !items) {
      // An atomic struct says so on its definition (`+structType=atomic`); an atomic map on the field.
      const target = refOf(next);
      const def = target === undefined ? undefined : defs.get(target);
      if (target !== undefined && def) defs.set(target, { ...def, ...ATOMIC });
      else next = { ...next, ...ATOMIC };
    }
    if (field.node) {
      if (items) next = { ...next, items: annotateStruct(items, field.node, defs) };
      else next = annotateStruct(next, field.node, defs);
    }
    out[key] = next;
  }
  return { ...s, properties: out };
}

/**
 * Puts the patch extensions of every kind into `defs` (definition name → schema), starting at each
 * kind's definition (`kindName`); a kind the table does not name gets ObjectMeta's.
 */
export function addPatchExtensions(defs: Map<string, JsonSchema>, kindName: ReadonlyMap<ResourceType, string>): void {
  for (const [t, name] of kindName) {
    const def = defs.get(name);
    if (def) defs.set(name, annotateStruct(def, patchMetaOf(t.kind), defs));
  }
}

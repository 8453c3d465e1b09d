/**
 * How server-side apply merges a configuration into the live object: maps and structs field by
 * field, keyed lists element by element (by their map keys), set lists as sets, anything else
 * (atomic lists, atomic maps, scalars) replaced by the applied value. Inputs are not mutated.
 */
import { patchField, type KubeObject, type PatchField, type PatchNode } from '../../../api/index.js';
import { keyElement } from './field-set.js';

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeValue(live: unknown, applied: unknown, field: PatchField): unknown {
  if (isObject(applied) && isObject(live) && !field.atomic) return mergeObject(live, applied, field.node);
  if (Array.isArray(applied) && Array.isArray(live) && field.listType === 'map') {
    const out: unknown[] = [...(live as unknown[])];
    for (const item of applied as unknown[]) {
      const el = isObject(item) ? keyElement(item, field) : undefined;
      const at = el === undefined ? -1 : out.findIndex((x) => isObject(x) && keyElement(x, field) === el);
      if (at >= 0) out[at] = mergeValue(out[at], item, { ...(field.node ? { node: field.node } : {}) });
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live) && field.listType === 'set') {
    const out: unknown[] = [...(live as unknown[])];
    for (const x of applied as unknown[]) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
    return out;
  }
  return structuredClone(applied);
}

function mergeObject(live: JsonObject, applied: JsonObject, node: PatchNode | undefined): JsonObject {
  const out: JsonObject = { ...live };
  for (const [k, v] of Object.entries(applied)) {
    if (v === null || v === undefined) continue;
    out[k] = Object.prototype.hasOwnProperty.call(live, k)
      ? mergeValue(live[k], v, patchField(node, k))
      : structuredClone(v);
  }
  return out;
}

/** `applied` merged into `live` (the object with the applier's dropped fields already removed). */
export function mergeApplied(live: KubeObject, applied: KubeObject, meta: PatchNode): KubeObject {
  const { managedFields: _drop, ...appliedMeta } = applied.metadata;
  void _drop;
  return mergeObject(live, { ...applied, metadata: appliedMeta }, meta) as KubeObject;
}

/**
 * Post-processing of zod's JSON Schema output into the shape Kubernetes publishes: `$ref`s renamed
 * to Kubernetes' definition names, a `$ref` with siblings wrapped in `allOf` (OpenAPI 3.0 ignores a
 * `$ref`'s siblings, so a field's description would be lost), int-or-string unions as IntOrString,
 * and zod's artefacts dropped (`$id`, `additionalProperties: false`, ±2^53 integer bounds).
 */
import { INT_OR_STRING, type JsonSchema } from './names.js';

const REF_PREFIX = '#/components/schemas/';

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `anyOf: [{type: integer…}, {type: string…}]`: what Kubernetes calls IntOrString. */
function isIntOrString(s: JsonSchema): boolean {
  const any = s.anyOf;
  if (!Array.isArray(any) || any.length !== 2) return false;
  const types = any.map((b) => (isSchema(b) ? b.type : undefined)).sort();
  return types[0] === 'integer' && types[1] === 'string';
}

/**
 * Returns a normalized copy of `s`: `rename` maps zod's provisional ids (the `$ref` tails) to final
 * definition names. Unknown ids are left alone (the caller checks that none remain).
 */
export function normalizeSchema(s: JsonSchema, rename: ReadonlyMap<string, string>): JsonSchema {
  let out: JsonSchema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if ((key === 'maximum' || key === 'minimum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) {
      const id = value.slice(REF_PREFIX.length);
      out[key] = `${REF_PREFIX}${rename.get(id) ?? id}`;
      continue;
    }
    if (key === 'properties' && isSchema(value)) {
      const props: JsonSchema = {};
      for (const [name, prop] of Object.entries(value))
        props[name] = isSchema(prop) ? normalizeSchema(prop, rename) : prop;
      out[key] = props;
      continue;
    }
    if (Array.isArray(value)) out[key] = value.map((v: unknown) => (isSchema(v) ? normalizeSchema(v, rename) : v));
    else if (isSchema(value) && key !== 'default' && key !== 'example') out[key] = normalizeSchema(value, rename);
    else out[key] = value;
  }
  if (isIntOrString(out)) {
    const rest = { ...out };
    delete rest.anyOf;
    out = { ...rest, $ref: `${REF_PREFIX}${INT_OR_STRING}` };
  }
  // A single allOf member without siblings is the member itself (zod wraps optional refs so).
  const all = out.allOf;
  if (Array.isArray(all) && all.length === 1 && Object.keys(out).length === 1 && isSchema(all[0])) out = all[0];
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    out = { ...rest, allOf: [{ $ref }] };
  }
  return out;
}

/** Every definition name a schema refers to (its `$ref` tails), deep. */
export function refsOf(s: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(s)) for (const v of s) refsOf(v, into);
  else if (isSchema(s)) {
    for (const [key, value] of Object.entries(s)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX))
        into.add(value.slice(REF_PREFIX.length));
      else refsOf(value, into);
    }
  }
  return into;
}

/** The same schema with every `#/components/schemas/` ref pointing at `#/definitions/` (Swagger 2.0). */
export function toV2Refs(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2Refs);
  if (!isSchema(s)) return s;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(s)) {
    out[key] =
      key === '$ref' && typeof value === 'string' ? value.replace(REF_PREFIX, '#/definitions/') : toV2Refs(value);
  }
  return out;
}

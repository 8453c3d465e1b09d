/**
 * JSON values for controllers: `jsonEqual` (api/json-equal.ts) tells a controller whether what it
 * computed differs from what is stored; `canonical` gives a stable form to hash.
 */
export { jsonEqual } from '../../api/index.js';

/** A JSON value with object keys sorted and `undefined` members dropped (stable to hash or compare). */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const val = (v as Record<string, unknown>)[k];
      if (val !== undefined) out[k] = canonical(val);
    }
    return out;
  }
  return v;
}

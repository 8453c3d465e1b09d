/**
 * `--sort-by=JSONPATH`: orders listed objects by one field, as kubectl 1.32 does with what the hub
 * answers — numbers by value, strings byte by byte (`cm-10` before `cm-2`, checked against kubectl),
 * objects without the field first; stable.
 */
import type { KubeObject } from '../../api/index.js';
import { UsageError } from '../errors.js';
import { JsonPathTemplate, relaxedTemplate } from './jsonpath/index.js';

type Key = { kind: 'none' } | { kind: 'number'; n: number } | { kind: 'string'; s: string };

function keyOf(t: JsonPathTemplate, o: KubeObject, expr: string): Key {
  const v = t.values(o)[0];
  if (v === undefined || v === null) return { kind: 'none' };
  if (typeof v === 'number') return { kind: 'number', n: v };
  if (typeof v === 'string') return { kind: 'string', s: v };
  if (typeof v === 'boolean') return { kind: 'string', s: String(v) };
  throw new UsageError(`the field ${expr} must be an integer or a string to sort by, not ${typeof v}`);
}

function compare(a: Key, b: Key): number {
  if (a.kind === 'none' || b.kind === 'none') return (a.kind === 'none' ? 0 : 1) - (b.kind === 'none' ? 0 : 1);
  if (a.kind === 'number' && b.kind === 'number') return a.n - b.n;
  const s = a.kind === 'string' ? a.s : String((a as { n: number }).n);
  const t = b.kind === 'string' ? b.s : String((b as { n: number }).n);
  return s < t ? -1 : s > t ? 1 : 0;
}

/** `objects` sorted by the field `expr` names (`.metadata.name`, `{.status.startTime}`). */
export function sortByField(objects: readonly KubeObject[], expr: string): KubeObject[] {
  const rel = relaxedTemplate(expr);
  const t = new JsonPathTemplate(rel);
  const keyed = objects.map((o, i) => ({ o, i, k: keyOf(t, o, rel) }));
  if (keyed.length > 0 && keyed.every((x) => x.k.kind === 'none'))
    throw new UsageError(`couldn't find any field with path "${rel}" in the list of objects`);
  return keyed.sort((a, b) => compare(a.k, b.k) || a.i - b.i).map((x) => x.o);
}

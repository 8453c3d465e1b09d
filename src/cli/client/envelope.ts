/**
 * The envelope checks of `get` and `list` answers without zod: the same shape as `ObjectEnvelope` and
 * `ObjectList` of src/api/rest.ts (envelope.test.ts holds the two to the same verdicts). `edgectl get`
 * runs in a fresh process each time, and loading zod with every kind's schema cost more than the
 * request itself; the other calls still validate with the zod schemas.
 */
import type { FieldCause, KubeObject, ObjectEnvelope, ObjectList } from '../../api/index.js';

/** What reading an answer gave: its value, or why it is not of the call's shape. */
export type Read<T> = { ok: true; value: T } | { ok: false; causes: FieldCause[] };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (field: string, message: string): { ok: false; causes: FieldCause[] } => ({
  ok: false,
  causes: [{ field, message, reason: 'FieldValueInvalid' }],
});

function envelopeProblem(v: unknown, at: string): FieldCause[] | undefined {
  if (!isObject(v)) return bad(at, 'expected object').causes;
  for (const key of ['apiVersion', 'kind'])
    if (typeof v[key] !== 'string') return bad(`${at}${at === '' ? '' : '.'}${key}`, 'expected string').causes;
  const meta = v['metadata'];
  const metaAt = `${at}${at === '' ? '' : '.'}metadata`;
  if (!isObject(meta)) return bad(metaAt, 'expected object').causes;
  for (const key of ['name', 'namespace', 'uid', 'resourceVersion'])
    if (meta[key] !== undefined && typeof meta[key] !== 'string')
      return bad(`${metaAt}.${key}`, 'expected string').causes;
  return undefined;
}

/** An object answer (`ObjectEnvelope`): apiVersion, kind and metadata's identity fields. */
export function readEnvelope(body: unknown): Read<ObjectEnvelope> {
  const causes = envelopeProblem(body, '');
  return causes ? { ok: false, causes } : { ok: true, value: body as ObjectEnvelope };
}

/** A list answer (`ObjectList`): its envelope, list metadata and each item's envelope. */
export function readList(body: unknown): Read<ObjectList<KubeObject>> {
  if (!isObject(body)) return bad('', 'expected object');
  for (const key of ['apiVersion', 'kind']) if (typeof body[key] !== 'string') return bad(key, 'expected string');
  const meta = body['metadata'];
  if (!isObject(meta)) return bad('metadata', 'expected object');
  for (const key of ['resourceVersion', 'continue'])
    if (meta[key] !== undefined && typeof meta[key] !== 'string') return bad(`metadata.${key}`, 'expected string');
  const remaining = meta['remainingItemCount'];
  if (remaining !== undefined && !(Number.isInteger(remaining) && (remaining as number) >= 0))
    return bad('metadata.remainingItemCount', 'expected a non-negative integer');
  const items = body['items'];
  if (!Array.isArray(items)) return bad('items', 'expected array');
  for (let i = 0; i < items.length; i++) {
    const causes = envelopeProblem(items[i], `items[${i}]`);
    if (causes) return { ok: false, causes };
  }
  return { ok: true, value: body as ObjectList<KubeObject> };
}

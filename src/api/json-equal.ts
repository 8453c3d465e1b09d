/**
 * Deep equality of JSON values: object key order is ignored and members holding `undefined` count as
 * absent (neither survives JSON). It walks both values in place: the hub compares a status or a pod's
 * node-relevant view on every write and every informer event, and the earlier definition — stringify
 * both values with sorted keys — allocated a sorted copy and a string per call (~7% of the hub's
 * allocations in a 10,000-pod rollout).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aArray = Array.isArray(a);
  if (aArray !== Array.isArray(b)) return false;
  if (aArray) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    // JSON writes an `undefined` element as null.
    for (let i = 0; i < x.length; i++) if (!jsonEqual(x[i] ?? null, y[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let members = 0;
  // for…in with an own-key check: no array of keys per object (Object.keys allocated one each).
  for (const k in x) {
    if (!Object.hasOwn(x, k)) continue;
    const v = x[k];
    if (v === undefined) continue;
    if (!Object.hasOwn(y, k) || !jsonEqual(v, y[k])) return false;
    members++;
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) members--;
  return members === 0;
}

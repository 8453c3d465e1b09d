/**
 * One copy of each unchanged part of a cached object. Every store event is parsed from its JSON text,
 * so each version of a pod arrives as a whole new tree (~37 objects), although a status write changes
 * a condition or two and a binding one field: the containers, the labels, the owner references, the
 * tolerations are equal to the version the cache holds. The cache swaps each part of the new tree that
 * equals the same part of a donor (the version it replaces, or for a new object the last object the
 * cache took in: in a rollout, a sibling made from the same template) for the donor's own object.
 *
 * Why: the cache holds its objects for long, so each parsed part that stays is copied by the young
 * generation's collections, promoted, and walked by every major GC; a part swapped out dies young.
 * The values stay equal, with their keys in the same order (JSON written from them is the same), and
 * the cache's objects are never changed (the mutation detector freezes them in the tests), so sharing
 * a part between versions and siblings is safe.
 */

/** Nesting the walk goes into (API objects nest ~10 deep); deeper parts stay as parsed. */
const MAX_DEPTH = 64;

/**
 * Replaces, in place, each part of `next` (a parsed JSON tree) that equals the part at the same place
 * in `donor` with the donor's, and passes every other string value through `intern`. Returns true when
 * `next` equals `donor` as a whole (the caller may then use the donor itself).
 */
export function shareEqualSubtrees(next: object, donor: unknown, intern: (s: string) => string): boolean {
  return share(next, donor, intern, 0);
}

function share(next: object, donor: unknown, intern: (s: string) => string, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  // A frozen part is one a cache already holds (the mutation detector freezes what it takes in: a
  // copy of a frozen event value keeps its frozen parts), shared and interned when it came in; it
  // cannot be written to, and is the donor's only when it is the very same object.
  if (Object.isFrozen(next)) return next === donor;
  const d =
    donor !== null && typeof donor === 'object' && Array.isArray(donor) === Array.isArray(next) ? donor : undefined;
  if (Array.isArray(next)) {
    const da = d as unknown[] | undefined;
    let equal = da !== undefined && da.length === next.length;
    for (let i = 0; i < next.length; i++) {
      const v: unknown = next[i];
      const r = shareValue(v, da?.[i], intern, depth);
      if (r !== NOT_EQUAL) next[i] = r;
      else {
        equal = false;
        if (typeof v === 'string') next[i] = intern(v);
      }
    }
    return equal;
  }
  const o = next as Record<string, unknown>;
  const dob = d as Record<string, unknown> | undefined;
  // Key order counts (JSON written from the shared part must not change), so the donor's keys are
  // compared with ours by position.
  const dkeys = dob === undefined ? undefined : Object.keys(dob);
  let equal = dkeys !== undefined;
  let n = 0;
  // for…in allocates nothing; own keys only, so nothing a polluted Object.prototype adds is visited.
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const same = equal && dkeys![n] === k;
    n++;
    const v = o[k];
    const r = shareValue(v, dob !== undefined && Object.hasOwn(dob, k) ? dob[k] : undefined, intern, depth);
    if (r !== NOT_EQUAL) {
      o[k] = r;
      if (!same) equal = false;
    } else {
      equal = false;
      if (typeof v === 'string') o[k] = intern(v);
    }
  }
  return equal && n === dkeys!.length;
}

/** Marks a value that differs from the donor's. */
const NOT_EQUAL: unique symbol = Symbol('not equal');

/** The donor's value when `v` equals it (the donor's object for an equal tree), else NOT_EQUAL. */
function shareValue(v: unknown, dv: unknown, intern: (s: string) => string, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v === dv ? dv : NOT_EQUAL;
  return share(v, dv, intern, depth + 1) ? dv : NOT_EQUAL;
}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) as Kubernetes applies it
 * (apimachinery `pkg/util/strategicpatch`), driven by the patch metadata table in `src/api`:
 * - maps merge key by key; `null` deletes a key;
 * - a list with strategy `merge` merges: objects by their merge key (a match merges recursively, a
 *   new element is appended), scalars as a set; any other list is replaced whole;
 * - directives: `$patch: replace|delete|merge` in a map, `{$patch: replace}` / `{<key>: v, $patch:
 *   delete}` in a merging list, `$retainKeys` (keys of the live map not listed are cleared),
 *   `$setElementOrder/<list>` (the final order of a merging list) and `$deleteFromPrimitiveList/<list>`.
 * Order follows Kubernetes: `$setElementOrder` first, then the patch's order, then the live order
 * for elements only the server has. Inputs are never mutated. A value the live object lacks is still
 * read through the same rules (so no directive key ever reaches the stored object).
 */
import { BadRequestError, patchField, type PatchField, type PatchNode } from '../../../api/index.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function bad(message: string): BadRequestError {
  return new BadRequestError(`strategic merge patch: ${message}`);
}

/** Applies strategic merge patch `patch` to `original` (an object) under the metadata `meta`. */
export function strategicMergePatch(original: Json, patch: Json, meta: PatchNode | undefined): JsonObject {
  if (!isObject(patch)) throw bad('the patch must be a JSON object');
  return mergeMap(isObject(original) ? structuredClone(original) : {}, structuredClone(patch), meta);
}

/** Reads a patch value that has nothing to merge with: directives resolved against an empty value. */
function fresh(value: Json, field: PatchField): Json {
  if (isObject(value)) return field.strategy === 'replace' ? stripDirective(value) : mergeMap({}, value, field.node);
  if (Array.isArray(value) && field.strategy === 'merge') return mergeList([], value, field);
  return value;
}

function stripDirective(m: JsonObject): JsonObject {
  const rest = { ...m };
  delete rest[DIRECTIVE];
  return rest;
}

/** Merges `patch` into `original` (both owned copies: `original` is modified and returned). */
function mergeMap(original: JsonObject, patch: JsonObject, n: PatchNode | undefined): JsonObject {
  if (own(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') return mergeMap({}, stripDirective(patch), n);
    if (d === 'delete') return {};
    if (d !== 'merge') throw bad(`unknown patch type "${JSON.stringify(d)?.slice(0, 50)}" in map`);
    patch = stripDirective(patch);
  }
  retainKeys(original, patch);
  const deletions: [string, Json][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(SET_ORDER)) orderedList(original, patch, k.slice(SET_ORDER.length), v, n);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(SET_ORDER) || k === RETAIN_KEYS) continue;
    if (k.startsWith(DELETE_FROM)) {
      deletions.push([k.slice(DELETE_FROM.length), v]);
      continue;
    }
    if (k.startsWith('$')) throw bad(`unknown directive "${k}"`);
    const field = patchField(n, k);
    if (v === null) {
      delete original[k];
      continue;
    }
    if (!own(original, k)) {
      original[k] = fresh(v, field);
      continue;
    }
    const cur = original[k];
    if (isObject(cur) && isObject(v)) {
      original[k] = field.strategy === 'replace' ? fresh(v, field) : mergeMap(cur, v, field.node);
    } else if (Array.isArray(cur) && Array.isArray(v)) {
      original[k] = field.strategy === 'merge' ? mergeList(cur, v, field) : v;
    } else original[k] = fresh(v, field);
  }
  for (const [k, v] of deletions) {
    if (!Array.isArray(v)) throw bad(`${DELETE_FROM}${k} must be a list`);
    const cur = original[k];
    if (Array.isArray(cur)) original[k] = cur.filter((x) => !v.some((d) => d === x));
  }
  return original;
}

/** `$retainKeys`: every key the patch sets must be listed; live keys not listed are cleared. */
function retainKeys(original: JsonObject, patch: JsonObject): void {
  if (!own(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string'))
    throw bad(`${RETAIN_KEYS} must be a list of strings`);
  const keep = new Set<string>(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith('$')) continue;
    if (!keep.has(k)) throw bad(`key "${k}" is set by the patch but not listed in ${RETAIN_KEYS}`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Handles `$setElementOrder/<key>` and the list `key` of the patch together. */
function orderedList(
  original: JsonObject,
  patch: JsonObject,
  key: string,
  order: Json,
  n: PatchNode | undefined,
): void {
  if (!Array.isArray(order)) throw bad(`${SET_ORDER}${key} must be a list`);
  const orderList: Json[] = order;
  const field = patchField(n, key);
  const live = original[key];
  const p = patch[key];
  if (live !== undefined && !Array.isArray(live)) throw bad(`${key} is not a list`);
  if (p !== undefined && p !== null && !Array.isArray(p)) throw bad(`${key} in the patch is not a list`);
  if (live === undefined && (p === undefined || p === null)) return;
  const cur: Json[] = live ?? [];
  const merged =
    p === undefined || p === null
      ? [...cur]
      : mergeList(cur, p, field.strategy === 'merge' ? field : { ...field, strategy: 'merge' });
  const id = identity(field);
  const inOrder = (x: Json): boolean => orderList.some((o) => id(o) === id(x));
  original[key] = normalizeOrder(
    merged.filter(inOrder),
    merged.filter((x) => !inOrder(x)),
    orderList,
    cur,
    id,
  );
  delete patch[key];
}

/** What identifies a list element: its merge key's value (objects) or itself (scalars). */
function identity(field: PatchField): (x: Json) => Json {
  const key = field.mergeKey;
  return (x) => (key !== undefined && isObject(x) ? x[key] : x);
}

/** Merges a patch list into a live list with strategy `merge`. */
function mergeList(original: Json[], patch: Json[], field: PatchField): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const objects = [...original, ...patch].some(isObject);
  if (!objects) {
    const merged: Json[] = [];
    for (const x of [...original, ...patch]) if (!merged.some((y) => y === x)) merged.push(x);
    const inPatch = (x: Json): boolean => patch.some((y) => y === x);
    return normalizeOrder(
      merged.filter(inPatch),
      merged.filter((x) => !inPatch(x)),
      patch,
      original,
      (x) => x,
    );
  }
  const key = field.mergeKey;
  if (key === undefined) throw bad('cannot merge lists without a merge key');
  let live = [...original];
  const items: JsonObject[] = [];
  let replace = false;
  for (const raw of patch) {
    if (!isObject(raw)) throw bad('a merging list must hold objects only');
    if (!own(raw, DIRECTIVE)) {
      if (!own(raw, key)) throw bad(`an element of the list has no merge key "${key}"`);
      items.push(raw);
      continue;
    }
    const d = raw[DIRECTIVE];
    if (d === 'delete') {
      if (!own(raw, key)) throw bad(`a $patch: delete element needs its merge key "${key}"`);
      live = live.filter((x) => !(isObject(x) && x[key] === raw[key]));
    } else if (d === 'replace') replace = true;
    else if (d === 'merge') throw bad('merging lists cannot yet be specified in the patch');
    else throw bad(`unknown patch type "${JSON.stringify(d)?.slice(0, 50)}" in list`);
  }
  if (replace) return items.map((x) => mergeMap({}, x, field.node));
  for (const item of items) {
    const at = live.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (at >= 0) live[at] = mergeMap(live[at] as JsonObject, item, field.node);
    else live.push(mergeMap({}, item, field.node));
  }
  const id = identity(field);
  const inPatch = (x: Json): boolean => items.some((y) => y[key] === id(x));
  return normalizeOrder(
    live.filter(inPatch),
    live.filter((x) => !inPatch(x)),
    items,
    original,
    id,
  );
}

/**
 * Kubernetes' `normalizeElementOrder`: patch items sorted by `patchOrder`, server-only items by
 * `serverOrder`, then interleaved: a server-only item goes before a patch item only when both are
 * in the live list and it came first there.
 */
function normalizeOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  id: (x: Json) => Json,
): Json[] {
  const indexIn = (list: Json[], x: Json): number => list.findIndex((y) => id(y) === id(x));
  const byIndex = (list: Json[]) => (a: Json, b: Json) => {
    const ia = indexIn(list, a);
    const ib = indexIn(list, b);
    return ia >= 0 && ib >= 0 ? ia - ib : 0;
  };
  const right = [...patchItems].sort(byIndex(patchOrder));
  const left = [...serverOnly].sort(byIndex(serverOrder));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i]);
      const ri = indexIn(serverOrder, right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

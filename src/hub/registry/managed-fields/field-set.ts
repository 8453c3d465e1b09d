/**
 * Field sets as server-side apply sees an object: every owned field is a path of path elements
 * (`f:<field>`, `k:<merge keys json>` for an element of a keyed list, `v:<value json>` for an
 * element of a set list, `.` for a map or list element itself). A set is kept as path strings for
 * set algebra and converted to and from Kubernetes' FieldsV1 trie at the edges. Which lists are
 * keyed, sets or atomic comes from `src/api`'s patch metadata table.
 */
import { patchField, type FieldsV1, type PatchField, type PatchNode } from '../../../api/index.js';

type JsonObject = Record<string, unknown>;
export type PathElement = string;
export type FieldPath = readonly PathElement[];
/** A set of field paths, each as `JSON.stringify(path)`. */
export type FieldSet = Set<string>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Struct fields that are always there in Kubernetes' types (non-pointer structs): their path is not
 * a member of the set by itself (no `.`), as in the managedFields Kubernetes writes.
 */
const PLAIN_STRUCTS: ReadonlySet<string> = new Set(['metadata', 'spec', 'status', 'template']);

/** Fields the server sets or that identify the object: never owned by a manager. */
const IGNORED: readonly FieldPath[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:status'],
  ...['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields'].map((f) => [
    'f:metadata',
    `f:${f}`,
  ]),
  ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:deletionGracePeriodSeconds'],
];

/** The `k:` element of a keyed-list item: its map keys (absent ones defaulted), keys sorted as Go's JSON. */
export function keyElement(item: JsonObject, field: PatchField): PathElement | undefined {
  const keys = field.mapKeys ?? (field.mergeKey !== undefined ? [field.mergeKey] : []);
  const out: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = item[k] ?? field.keyDefaults?.[k];
    if (v === undefined) {
      if (k === field.mergeKey) return undefined;
      continue;
    }
    out[k] = v;
  }
  return `k:${JSON.stringify(out)}`;
}

function add(set: FieldSet, path: FieldPath): void {
  set.add(JSON.stringify(path));
}

function walkValue(set: FieldSet, path: PathElement[], name: string, v: unknown, field: PatchField): void {
  if (isObject(v) && !field.atomic) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null);
    if (keys.length === 0 || !PLAIN_STRUCTS.has(name)) add(set, keys.length === 0 ? path : [...path, '.']);
    walkObject(set, path, v, field.node);
    return;
  }
  if (Array.isArray(v) && field.listType === 'map') {
    for (const item of v) {
      const el = isObject(item) ? keyElement(item, field) : undefined;
      if (el === undefined || !isObject(item)) continue;
      add(set, [...path, el, '.']);
      walkObject(set, [...path, el], item, field.node);
    }
    if (v.length === 0) add(set, path);
    return;
  }
  if (Array.isArray(v) && field.listType === 'set') {
    for (const x of v) add(set, [...path, `v:${JSON.stringify(x)}`]);
    if (v.length === 0) add(set, path);
    return;
  }
  add(set, path);
}

function walkObject(set: FieldSet, path: PathElement[], obj: JsonObject, node: PatchNode | undefined): void {
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    walkValue(set, [...path, `f:${k}`], k, v, patchField(node, k));
  }
}

/** The fields `obj` sets, less the ones no manager owns (identity, server-set metadata, status). */
export function fieldsOf(obj: unknown, meta: PatchNode): FieldSet {
  const set: FieldSet = new Set();
  if (isObject(obj)) walkObject(set, [], obj, meta);
  for (const p of [...set]) {
    const path = JSON.parse(p) as string[];
    if (IGNORED.some((ig) => ig.every((e, i) => path[i] === e))) set.delete(p);
  }
  return set;
}

/** The set as Kubernetes' FieldsV1 trie. */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: FieldsV1 = {};
  for (const p of set) {
    let node = root;
    for (const el of JSON.parse(p) as string[]) node = node[el] ??= {};
  }
  return root;
}

/** A FieldsV1 trie as a set (every leaf is a member). */
export function fromFieldsV1(trie: FieldsV1): FieldSet {
  const set: FieldSet = new Set();
  const walk = (node: FieldsV1, path: string[]): void => {
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) set.add(JSON.stringify(path));
    for (const k of keys) walk(node[k] ?? {}, [...path, k]);
  };
  walk(trie, []);
  return set;
}

/** The path as Kubernetes names it in a conflict: `.spec.containers[name="web"].image`. */
export function describePath(p: string): string {
  let out = '';
  for (const el of JSON.parse(p) as string[]) {
    if (el.startsWith('f:')) out += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const keys = JSON.parse(el.slice(2)) as JsonObject;
      out += `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) out += `[=${el.slice(2)}]`;
  }
  return out;
}

const MISSING = Symbol('missing');

/** Finds the list element a `k:`/`v:` path element names. */
function findElement(list: unknown[], el: PathElement, field: PatchField): number {
  if (el.startsWith('v:')) {
    const want = el.slice(2);
    return list.findIndex((x) => JSON.stringify(x) === want);
  }
  return list.findIndex((x) => isObject(x) && keyElement(x, field) === el);
}

/** The value at `path` in `obj` (`.` is the node itself), or MISSING. */
export function valueAt(obj: unknown, p: string, meta: PatchNode): unknown {
  let cur: unknown = obj;
  let field: PatchField = { node: meta };
  for (const el of JSON.parse(p) as string[]) {
    if (el === '.') return cur;
    if (el.startsWith('f:')) {
      if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, el.slice(2))) return MISSING;
      field = patchField(field.node, el.slice(2));
      cur = cur[el.slice(2)];
    } else {
      if (!Array.isArray(cur)) return MISSING;
      const at = findElement(cur, el, field);
      if (at < 0) return MISSING;
      cur = cur[at];
      field = { ...(field.node ? { node: field.node } : {}) };
    }
  }
  return cur;
}

export const isMissing = (v: unknown): boolean => v === MISSING;

/** Removes the field or element at `path` from `obj` (modified in place); `.` removes its node. */
export function removeAt(obj: JsonObject, p: string, meta: PatchNode): void {
  const path = JSON.parse(p) as string[];
  const target = path.at(-1) === '.' ? path.slice(0, -1) : path;
  const last = target.at(-1);
  if (last === undefined) return;
  const parentPath = JSON.stringify(target.slice(0, -1));
  const parent = target.length === 1 ? obj : valueAt(obj, parentPath, meta);
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  // The list's own metadata: resolve the field that holds it.
  let field: PatchField = { node: meta };
  for (const el of target.slice(0, -1))
    field = el.startsWith('f:') ? patchField(field.node, el.slice(2)) : { ...(field.node ? { node: field.node } : {}) };
  const at = findElement(parent, last, field);
  if (at >= 0) parent.splice(at, 1);
}

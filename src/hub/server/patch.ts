/**
 * Patches: JSON merge patch (RFC 7386; strategic merge patch is served as merge patch) and JSON
 * patch (RFC 6902). Both work on plain JSON values and never mutate their inputs.
 *
 * Hostile patches: `applyPatch` is the one door every patch type passes, and it refuses any patch
 * that names `__proto__`, `constructor` or `prototype` (a JSON pointer token or a merge-patch key at
 * any depth) before anything is applied, so no patch can walk into or replace a prototype. The walks
 * below also read own properties only, as a second line. JSON patch work is bounded too: `copy`
 * and `test` can make a small patch cost far more than its size (each `copy` of the root doubles
 * the document), so their bytes count against a budget and the number of operations is capped.
 *
 * Why our own ~150 lines rather than a library: the common ones (`fast-json-patch`,
 * `json-merge-patch`) have had prototype-pollution CVEs (CVE-2021-4279, CVE-2021-29472) and bound
 * neither the operation count nor `copy` amplification; the two RFCs are small, and owning them
 * puts the guard and the budget in one place with tests beside them.
 */
import { BadRequestError, RequestTooLargeError } from '../../api/index.js';
import type { PatchKind } from './body.js';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Keys no patch may name: reaching them could change an object's prototype or pollute Object.prototype. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Kubernetes' cap on operations in one JSON patch. */
export const MAX_JSON_PATCH_OPS = 10_000;

/** Limits of one patch application. */
export interface PatchLimits {
  /** Bytes that `copy` and `test` operations may touch in all (default 3 MiB × 2). */
  maxWorkBytes?: number;
}

const DEFAULT_WORK_BYTES = 6 * 1024 * 1024;

function forbidden(field: string, key: string): BadRequestError {
  return new BadRequestError(`patch may not touch "${key}" (at ${field})`, [
    { field, message: `Forbidden: key "${key}" is not allowed in a patch`, reason: 'FieldValueForbidden' },
  ]);
}

/** Refuses a merge patch naming a forbidden key at any depth (iterative: nesting depth cannot overflow the stack). */
function guardMergePatch(patch: unknown): void {
  const stack: { v: unknown; path: string }[] = [{ v: patch, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, path: `${path}[${i}]` }));
    else if (isObject(v)) {
      for (const k of Object.keys(v)) {
        const at = path === '' ? k : `${path}.${k}`;
        if (FORBIDDEN_KEYS.has(k)) throw forbidden(at, k);
        stack.push({ v: v[k], path: at });
      }
    }
  }
}

/** RFC 7386: objects merge recursively, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(k)) throw forbidden(k, k);
    if (v === null) delete out[k];
    else out[k] = mergePatch(own(out, k) ? out[k] : undefined, v);
  }
  return out;
}

interface Op {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6901 pointer → tokens; refuses forbidden tokens, naming the pointer. */
function pointer(path: string, field = 'path'): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new BadRequestError(`invalid JSON pointer "${path}"`, [
      { field, message: `Invalid value: "${path}": a JSON pointer starts with "/"` },
    ]);
  const tokens = path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const t of tokens) if (FORBIDDEN_KEYS.has(t)) throw forbidden(`${field} ${path}`, t);
  return tokens;
}

function child(cur: unknown, t: string): unknown {
  if (Array.isArray(cur)) return /^(0|[1-9][0-9]*)$/.test(t) ? cur[Number(t)] : undefined;
  return isObject(cur) && own(cur, t) ? cur[t] : undefined;
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: unknown; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = child(cur, t);
    if (cur === undefined) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  }
  return { parent: cur, key: tokens.at(-1) ?? '' };
}

function get(doc: unknown, path: string, field: string): unknown {
  let cur = doc;
  for (const t of pointer(path, field)) {
    cur = child(cur, t);
    if (cur === undefined) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  }
  return cur;
}

function remove(doc: unknown, path: string, field: string): unknown {
  const { parent, key } = parentOf(doc, pointer(path, field), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^(0|[1-9][0-9]*)$/.test(key) || i >= parent.length)
      throw new BadRequestError(`JSON patch path "${path}" does not exist`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !own(parent, key)) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(i) || i > parent.length || (replace && i >= parent.length))
      throw new BadRequestError(`JSON patch index out of range in "${path}"`);
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !own(parent, key)) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
    // defineProperty, not `parent[key] =`: an assignment could reach a setter; a forbidden key never gets here.
    Object.defineProperty(parent, key, { value, writable: true, enumerable: true, configurable: true });
  } else throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  return doc;
}

/** Counts the bytes `copy`/`test` touch; refuses once they pass the budget. */
class WorkBudget {
  #left: number;
  constructor(bytes: number) {
    this.#left = bytes;
  }
  /** Serialises `v` (the caller needs the text anyway for `test`) and charges its length. */
  charge(v: unknown, what: string): string {
    const text = JSON.stringify(v) ?? 'null';
    this.#left -= text.length;
    if (this.#left < 0)
      throw new RequestTooLargeError(
        `JSON patch ${what} operations touch too much data (copy and test may touch ${DEFAULT_WORK_BYTES} bytes in all)`,
      );
    return text;
  }
}

/** Validates the operations' shape and pointers before any is applied. */
function parseOps(ops: unknown): Op[] {
  if (!Array.isArray(ops)) throw new BadRequestError('a JSON patch must be an array of operations');
  if (ops.length > MAX_JSON_PATCH_OPS)
    throw new RequestTooLargeError(`a JSON patch may have at most ${MAX_JSON_PATCH_OPS} operations, got ${ops.length}`);
  return ops.map((raw, i) => {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new BadRequestError('each JSON patch operation needs "op" and "path"', [
        { field: `[${i}]`, message: 'Required value: "op" and "path" (strings)' },
      ]);
    }
    pointer(raw.path, `[${i}].path`);
    if (raw.from !== undefined) {
      if (typeof raw.from !== 'string')
        throw new BadRequestError(`JSON patch operation ${i}: "from" must be a string`, [
          { field: `[${i}].from`, message: 'Invalid value: must be a JSON pointer' },
        ]);
      pointer(raw.from, `[${i}].from`);
    }
    if (raw.value !== undefined) guardMergePatch(raw.value);
    return raw as unknown as Op;
  });
}

/** RFC 6902, all six operations. */
export function jsonPatch(target: unknown, rawOps: unknown, limits: PatchLimits = {}): unknown {
  const ops = parseOps(rawOps);
  const budget = new WorkBudget(limits.maxWorkBytes ?? DEFAULT_WORK_BYTES);
  let doc = structuredClone(target);
  ops.forEach((op, i) => {
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, structuredClone(op.value), false);
        break;
      case 'replace':
        doc = add(doc, op.path, structuredClone(op.value), true);
        break;
      case 'remove':
        remove(doc, op.path, `[${i}].path`);
        break;
      case 'move': {
        if (op.from === undefined)
          throw new BadRequestError(`JSON patch operation ${i} (move) needs "from"`, [
            { field: `[${i}].from`, message: 'Required value' },
          ]);
        if (op.path.startsWith(`${op.from}/`))
          throw new BadRequestError(
            `JSON patch operation ${i}: cannot move "${op.from}" into its own child "${op.path}"`,
          );
        doc = add(doc, op.path, remove(doc, op.from, `[${i}].from`), false);
        break;
      }
      case 'copy': {
        if (op.from === undefined)
          throw new BadRequestError(`JSON patch operation ${i} (copy) needs "from"`, [
            { field: `[${i}].from`, message: 'Required value' },
          ]);
        const v = get(doc, op.from, `[${i}].from`);
        budget.charge(v, 'copy');
        doc = add(doc, op.path, structuredClone(v), false);
        break;
      }
      case 'test':
        if (budget.charge(get(doc, op.path, `[${i}].path`), 'test') !== budget.charge(op.value, 'test'))
          throw new BadRequestError(`JSON patch test failed at "${op.path}"`);
        break;
      default:
        throw new BadRequestError(`unsupported JSON patch operation "${String(op.op)}"`, [
          { field: `[${i}].op`, message: `Unsupported value: "${String(op.op)}"` },
        ]);
    }
  });
  return doc;
}

/**
 * Applies a patch of `kind` to `target`: the one entry every patch type passes, so the guard
 * against prototype keys sits here for any patch type added later.
 */
export function applyPatch(kind: PatchKind, target: unknown, patch: unknown, limits: PatchLimits = {}): unknown {
  if (kind === 'json') return jsonPatch(target, patch, limits);
  if (!isObject(patch)) throw new BadRequestError('a merge patch must be a JSON object');
  guardMergePatch(patch);
  return mergePatch(target, patch);
}

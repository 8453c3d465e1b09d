/**
 * Patches: JSON merge patch (RFC 7386), strategic merge patch (`strategic-patch/`, by the kind's
 * patch metadata) and JSON patch (RFC 6902). All work on plain JSON values and never mutate their
 * inputs. Server-side apply is not a patch of this kind: the field manager merges it.
 *
 * Hostile patches: `applyPatch` is the one door every patch type passes, and it refuses any patch
 * that names `__proto__`, `constructor` or `prototype` (a JSON pointer token or a merge-patch key at
 * any depth) before anything is applied, so no patch can walk into or replace a prototype. The walks
 * below also read own properties only, as a second line. JSON patch work is bounded too: `copy`
 * and `test` can make a small patch cost far more than its size (each `copy` of the root doubles
 * the document), so their bytes count against a budget and the number of operations is capped.
 *
 * RFC 6902 is applied by `fast-json-patch` (the most used implementation, typed, applied one
 * operation at a time so the guards and the budget wrap each step; its own prototype guard,
 * `banPrototypeModifications`, stays on as a third line). What stays here is policy the library does
 * not have: the prototype-key refusal naming the field, the operation cap, the copy/test budget,
 * own-property paths (an inherited name such as `toString` is not there to replace) and canonical
 * array indices. Its errors become BadRequestErrors without echoing the document. Merge patch
 * (RFC 7386) is ten lines and stays ours.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { BadRequestError, RequestTooLargeError, type PatchNode } from '../../api/index.js';
import type { PatchKind } from './body.js';
import { strategicMergePatch } from './strategic-patch/index.js';

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

const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Checks the target of an `add`/`replace`: its parent exists as an own path, and an array index is
 * canonical (`01` is not `1`) or `-` for add.
 */
function checkTarget(doc: unknown, path: string, field: string, replace: boolean): void {
  const tokens = pointer(path, field);
  if (tokens.length === 0) return;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' && !replace ? parent.length : INDEX.test(key) ? Number(key) : NaN;
    if (!Number.isInteger(i) || i > parent.length || (replace && i >= parent.length))
      throw new BadRequestError(`JSON patch index out of range in "${path}"`);
  } else if (!isObject(parent) || (replace && !own(parent, key)))
    throw new BadRequestError(`JSON patch path "${path}" does not exist`);
}

/** What the library's error codes mean, said without the document (which may hold secrets). */
const LIBRARY_ERRORS: Readonly<Record<string, string>> = {
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
  OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the path is not a valid array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'the array index is out of range',
  OPERATION_VALUE_REQUIRED: '"value" is required',
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: '"value" is not JSON',
  OPERATION_PATH_CANNOT_ADD: 'cannot add at this path',
  OPERATION_PATH_INVALID: 'the path is not a JSON pointer',
  OPERATION_FROM_REQUIRED: '"from" is required',
};

/** Turns an error of `fast-json-patch` into a BadRequestError naming the operation, never the document. */
function libraryError(err: unknown, i: number, op: Op): BadRequestError {
  if (!(err instanceof jsonpatch.JsonPatchError)) throw err;
  if (err.name === 'TEST_OPERATION_FAILED') return new BadRequestError(`JSON patch test failed at "${op.path}"`);
  const what = LIBRARY_ERRORS[err.name] ?? err.name;
  return new BadRequestError(`JSON patch operation ${i} (${op.op}) on "${op.path}": ${what}`, [
    { field: `[${i}].path`, message: `Invalid value: ${what}` },
  ]);
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

const OPS: ReadonlySet<string> = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Checks one operation against the document before the library applies it; charges copy/test work. */
function precheck(doc: unknown, op: Op, i: number, budget: WorkBudget): void {
  if (!OPS.has(op.op))
    throw new BadRequestError(`unsupported JSON patch operation "${String(op.op)}"`, [
      { field: `[${i}].op`, message: `Unsupported value: "${String(op.op)}"` },
    ]);
  if (op.op === 'move' || op.op === 'copy') {
    if (op.from === undefined)
      throw new BadRequestError(`JSON patch operation ${i} (${op.op}) needs "from"`, [
        { field: `[${i}].from`, message: 'Required value' },
      ]);
    if (op.op === 'move' && op.path.startsWith(`${op.from}/`))
      throw new BadRequestError(`JSON patch operation ${i}: cannot move "${op.from}" into its own child "${op.path}"`);
    const v = get(doc, op.from, `[${i}].from`);
    if (op.op === 'copy') budget.charge(v, 'copy');
  }
  if (op.op === 'remove') get(doc, op.path, `[${i}].path`);
  if (op.op === 'test') {
    budget.charge(get(doc, op.path, `[${i}].path`), 'test');
    budget.charge(op.value, 'test');
  }
  if (op.op === 'add' || op.op === 'replace' || op.op === 'move' || op.op === 'copy')
    checkTarget(doc, op.path, `[${i}].path`, op.op === 'replace');
}

/** RFC 6902, all six operations, on a copy of `target`. */
export function jsonPatch(target: unknown, rawOps: unknown, limits: PatchLimits = {}): unknown {
  const ops = parseOps(rawOps);
  const budget = new WorkBudget(limits.maxWorkBytes ?? DEFAULT_WORK_BYTES);
  let doc = structuredClone(target);
  ops.forEach((op, i) => {
    precheck(doc, op, i, budget);
    // The operation's value is cloned so the document never shares objects with the request body.
    const step = { ...op, ...(op.value === undefined ? {} : { value: structuredClone(op.value) }) } as Operation;
    try {
      doc = jsonpatch.applyOperation(doc, step, true, true, true, i).newDocument;
    } catch (err) {
      throw libraryError(err, i, op);
    }
  });
  return doc;
}

/**
 * Applies a patch of `kind` to `target`: the one entry every patch type passes, so the guard
 * against prototype keys sits here for any patch type added later.
 */
export function applyPatch(
  kind: PatchKind,
  target: unknown,
  patch: unknown,
  limits: PatchLimits = {},
  meta?: PatchNode,
): unknown {
  if (kind === 'json') return jsonPatch(target, patch, limits);
  if (kind === 'apply') throw new BadRequestError('server-side apply is not a patch of an existing object here');
  if (!isObject(patch)) throw new BadRequestError('a merge patch must be a JSON object');
  guardMergePatch(patch);
  return kind === 'strategic' ? strategicMergePatch(target, patch, meta) : mergePatch(target, patch);
}

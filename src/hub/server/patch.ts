/**
 * Patches: JSON merge patch (RFC 7386; strategic merge patch is served as merge patch) and JSON
 * patch (RFC 6902). Both work on plain JSON values and never mutate their inputs.
 */
import { BadRequestError } from '../../api/index.js';
import type { PatchKind } from './body.js';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: objects merge recursively, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new BadRequestError(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: unknown; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  }
  return { parent: cur, key: tokens.at(-1) ?? '' };
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of pointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  }
  return cur;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(key in parent)) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) throw new BadRequestError(`JSON patch index out of range in "${path}"`);
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !(key in parent)) throw new BadRequestError(`JSON patch path "${path}" does not exist`);
    parent[key] = value;
  } else throw new BadRequestError(`JSON patch path "${path}" does not exist`);
  return doc;
}

/** RFC 6902, all six operations. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new BadRequestError('a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new BadRequestError('each JSON patch operation needs "op" and "path"');
    const op = raw as unknown as Op;
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, clone(op.value), false);
        break;
      case 'replace':
        doc = add(doc, op.path, clone(op.value), true);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'move': {
        const v = remove(doc, op.from ?? '');
        doc = add(doc, op.path, v, false);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, clone(get(doc, op.from ?? '')), false);
        break;
      case 'test':
        if (JSON.stringify(get(doc, op.path)) !== JSON.stringify(op.value)) throw new BadRequestError(`JSON patch test failed at "${op.path}"`);
        break;
      default:
        throw new BadRequestError(`unsupported JSON patch operation "${String(raw.op)}"`);
    }
  }
  return doc;
}

/** Applies a patch of `kind` to `target`. */
export function applyPatch(kind: PatchKind, target: unknown, patch: unknown): unknown {
  if (kind === 'json') return jsonPatch(target, patch);
  if (!isObject(patch)) throw new BadRequestError('a merge patch must be a JSON object');
  return mergePatch(target, patch);
}

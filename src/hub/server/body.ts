/** Reading request bodies: content type check, size limit (also for chunked bodies), JSON parsing. */
import type { Context } from 'hono';
import { parse as parseYaml } from 'yaml';
import { BadRequestError, RequestTooLargeError, UnsupportedMediaTypeError, errorMessage } from '../../api/index.js';

/** Default largest object body: 3 MiB, as etcd's default request limit in Kubernetes. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Content types accepted for PATCH, and the patch flavour each selects: JSON merge patch, strategic
 * merge patch (by the kind's patch metadata), JSON patch, and server-side apply (a YAML or JSON
 * object: the applier's whole intent, merged by field ownership).
 */
export const PATCH_TYPES = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
} as const;
export type PatchKind = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];

/** The media type of the request without parameters (`application/json`), or '' when absent. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Reads the raw body, refusing more than `max` bytes whatever the framing. */
export async function readBytes(c: Context, max: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max)
    throw new RequestTooLargeError(`request body of ${declared} bytes exceeds the limit of ${max} bytes`);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new RequestTooLargeError(`request body exceeds the limit of ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Deepest nesting a body may have. The deepest real object (a Deployment's probe header) nests about
 * 12 levels; JSON.parse itself nests without limit, but structuredClone, JSON.stringify and every
 * recursive walk after it would overflow the stack (a 500) on a body nested a million deep.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * Checks a parsed body before anything else sees it, iteratively (so depth cannot overflow the
 * stack): nesting at most `MAX_JSON_DEPTH`, and no `__proto__` key anywhere. JSON.parse makes
 * `"__proto__"` an ordinary own key, harmless until a later `Object.assign` or `obj[k] = v` copies
 * it and so sets a prototype; no Kubernetes field is named so, so it is refused outright.
 */
export function checkJsonTree(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      throw new BadRequestError(`request body nests deeper than ${maxDepth} levels (at ${path || '<root>'})`, [
        { field: path || '<root>', message: `Invalid value: nested deeper than ${maxDepth} levels` },
      ]);
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    for (const k of Object.keys(v)) {
      const at = path === '' ? k : `${path}.${k}`;
      if (k === '__proto__')
        throw new BadRequestError(`request body may not contain the key "__proto__" (at ${at})`, [
          { field: at, message: 'Forbidden: key "__proto__" is not allowed', reason: 'FieldValueForbidden' },
        ]);
      stack.push({ v: (v as Record<string, unknown>)[k], path: at, depth: depth + 1 });
    }
  }
}

/**
 * Most members one JSON object of a body may have, and most members and array elements in all.
 * A 3 MiB body fits about 230k annotation keys; JSON.parse of that takes over a second and zod
 * validating it seconds more, all on the event loop. The largest real object (a ConfigMap with
 * many keys, a Pod with many env vars) stays far below these.
 */
export const MAX_JSON_OBJECT_MEMBERS = 10_000;
export const MAX_JSON_TOTAL_MEMBERS = 200_000;

/** Limits for `checkJsonNesting`; each defaults to the constant of the same meaning above. */
export interface JsonScanLimits {
  maxDepth?: number;
  maxObjectMembers?: number;
  maxTotalMembers?: number;
}

/**
 * Refuses JSON text nesting deeper than `maxDepth`, an object of more than `maxObjectMembers`
 * members, or more than `maxTotalMembers` object members and array elements in all, before it is
 * parsed: V8's JSON.parse takes about 3 µs per nesting level, so a 3 MiB body of `[[[[…` would hold
 * the event loop for seconds, and so would 230k keys in one object (parse, then validation). One
 * pass over the characters (strings skipped), milliseconds for the largest body. Members are
 * counted by their `:` and array elements by their `,` outside strings; malformed JSON that slips
 * through the count is refused by JSON.parse right after.
 */
export function checkJsonNesting(text: string, limits: number | JsonScanLimits = {}): void {
  const {
    maxDepth = MAX_JSON_DEPTH,
    maxObjectMembers = MAX_JSON_OBJECT_MEMBERS,
    maxTotalMembers = MAX_JSON_TOTAL_MEMBERS,
  } = typeof limits === 'number' ? { maxDepth: limits } : limits;
  // Per open container (index = depth): its member count, and whether it is an array.
  const counts = new Uint32Array(maxDepth + 1);
  const isArray = new Uint8Array(maxDepth + 1);
  let total = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > maxDepth)
        throw new BadRequestError(`request body nests deeper than ${maxDepth} levels (at character ${i})`, [
          { field: '<root>', message: `Invalid value: nested deeper than ${maxDepth} levels` },
        ]);
      counts[depth] = 0;
      isArray[depth] = ch === 0x5b ? 1 : 0;
    } else if (ch === 0x5d || ch === 0x7d) {
      if (depth > 0) depth--;
    } else if (ch === 0x3a || (ch === 0x2c && depth > 0 && isArray[depth] === 1)) {
      const members = ch === 0x3a && depth > 0 ? (counts[depth] ?? 0) + 1 : 0;
      if (members > 0) counts[depth] = members;
      if (members > maxObjectMembers) {
        throw new RequestTooLargeError(
          `request body has an object with more than ${maxObjectMembers} members (at character ${i}); at most ${maxObjectMembers} are accepted`,
        );
      }
      if (++total > maxTotalMembers) {
        throw new RequestTooLargeError(
          `request body has more than ${maxTotalMembers} object members and array elements in all (at character ${i}); at most ${maxTotalMembers} are accepted`,
        );
      }
    }
  }
}

/** Parses `bytes` as JSON and checks it with `checkJsonTree`; a BadRequestError names what is wrong. */
export function parseJson(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') throw new BadRequestError('request body is empty; expected a JSON object');
  checkJsonNesting(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`invalid JSON in request body: ${errorMessage(err)}`);
  }
  checkJsonTree(value);
  return value;
}

/** Reads a JSON object body (`application/json`, or no content type). */
export async function readJson(c: Context, max: number): Promise<unknown> {
  const type = mediaType(c);
  if (type !== '' && type !== 'application/json') {
    throw new UnsupportedMediaTypeError(
      `the body of the request was in an unsupported media type "${type}" (expected application/json)`,
    );
  }
  return parseJson(await readBytes(c, max));
}

/** Reads a PATCH body and says which patch flavour its content type selects. */
export async function readPatch(c: Context, max: number): Promise<{ kind: PatchKind; patch: unknown }> {
  const type = mediaType(c);
  const kind = (PATCH_TYPES as Record<string, PatchKind | undefined>)[type];
  if (!kind) {
    throw new UnsupportedMediaTypeError(
      `the body of the request was in an unsupported media type "${type}" (expected one of ${Object.keys(PATCH_TYPES).join(', ')})`,
    );
  }
  const bytes = await readBytes(c, max);
  return { kind, patch: kind === 'apply' ? parseApplyYaml(bytes) : parseJson(bytes) };
}

/**
 * Parses a server-side apply body: YAML (JSON is YAML too). Aliases are bounded by the library's
 * `maxAliasCount` (no billion laughs), and the result passes the same tree checks as JSON.
 */
export function parseApplyYaml(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') throw new BadRequestError('request body is empty; expected a YAML or JSON object');
  checkJsonNesting(text);
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    throw new BadRequestError(`invalid YAML in request body: ${errorMessage(err)}`);
  }
  checkJsonTree(value);
  return value;
}

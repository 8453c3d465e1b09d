/**
 * The `fieldValidation` query parameter of create, update and patch, as Kubernetes defines it:
 * `Strict` fails the request naming each unknown field; `Warn` drops unknown fields and names each
 * in a `Warning` response header (kubectl prints them); `Ignore` drops them silently. The hub's
 * default is Strict (a field Edgeplane does not support is never dropped unless the client asks).
 * Strict answers as kube-apiserver does: unknown fields are a decoding error, found before any other
 * validation: 400 BadRequest on create and update (`Deployment in version "v1" cannot be handled as
 * a Deployment: strict decoding error: unknown field "spec.foo"`), 422 Invalid on field `patch` for
 * a patch. Other invalid values are the registry's 422, as before.
 */
import type { Context } from 'hono';
import { BadRequestError, InvalidError, formatPath, type ResourceType } from '../../api/index.js';

export const FIELD_VALIDATION_MODES = ['Strict', 'Warn', 'Ignore'] as const;
export type FieldValidationMode = (typeof FIELD_VALIDATION_MODES)[number];

/** Passes over the body: dropping keys never uncovers more than a few levels of new issues. */
const MAX_PASSES = 4;

/** The request's mode: `?fieldValidation=`, Strict when absent; anything else is a 400. */
export function fieldValidationMode(value: string | undefined): FieldValidationMode {
  if (value === undefined || value === '') return 'Strict';
  const mode = FIELD_VALIDATION_MODES.find((m) => m === value);
  if (!mode)
    throw new BadRequestError(
      `invalid fieldValidation "${value.slice(0, 40)}": must be one of ${FIELD_VALIDATION_MODES.join(', ')}`,
      [{ field: 'fieldValidation', message: `Unsupported value: must be one of ${FIELD_VALIDATION_MODES.join(', ')}` }],
    );
  return mode;
}

type Issue = { code: string; path: readonly PropertyKey[]; keys?: readonly string[] };

/** The paths of the unknown keys zod reports (not those inside a union: which branch is meant is unknown). */
function unknownKeyPaths(issues: readonly Issue[]): PropertyKey[][] {
  return issues.flatMap((i) => (i.code === 'unrecognized_keys' ? (i.keys ?? []).map((k) => [...i.path, k]) : []));
}

function deleteAt(root: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (cur === null || typeof cur !== 'object' || last === undefined || !Object.hasOwn(cur, last)) return false;
  delete (cur as Record<PropertyKey, unknown>)[last];
  return true;
}

/**
 * Removes the fields `type`'s schema does not know from a copy of `body`; returns the copy and the
 * removed fields' paths (`spec.template.spec.containers[0].bogus`).
 */
export function dropUnknownFields(type: ResourceType, body: unknown): { body: unknown; dropped: string[] } {
  const copy: unknown = structuredClone(body);
  const dropped: string[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = type.schema.safeParse(copy);
    if (result.success) break;
    const paths = unknownKeyPaths(result.error.issues as readonly Issue[]).filter((p) => deleteAt(copy, p));
    if (paths.length === 0) break;
    dropped.push(...paths.map(formatPath));
  }
  return { body: copy, dropped };
}

/** How a write's body came: whole (create, update) or as the result of a patch. */
export type WriteKind = 'write' | 'patch';

/** The unknown fields of `body` (one parse: the paths zod names outside unions), or none. */
export function unknownFields(type: ResourceType, body: unknown): string[] {
  const result = type.schema.safeParse(body);
  return result.success ? [] : unknownKeyPaths(result.error.issues as readonly Issue[]).map(formatPath);
}

/** Unknown fields a strict decoding error names, and how much of each name (the input is the caller's, unbounded). */
const MAX_NAMED = 10;
const MAX_NAME_CHARS = 120;

/** Kubernetes' `runtime.NewStrictDecodingError` text: `strict decoding error: unknown field "a", unknown field "b"`. */
function strictDecodingText(fields: readonly string[]): string {
  const named = fields
    .slice(0, MAX_NAMED)
    .map((f) => `unknown field ${JSON.stringify(f.length > MAX_NAME_CHARS ? `${f.slice(0, MAX_NAME_CHARS)}…` : f)}`);
  const more = fields.length > MAX_NAMED ? `, and ${fields.length - MAX_NAMED} more` : '';
  return `strict decoding error: ${named.join(', ')}${more}`;
}

/** The error of a Strict write with unknown fields, worded and coded as kube-apiserver's. */
export function strictDecodingError(
  type: ResourceType,
  kind: WriteKind,
  body: unknown,
  fields: readonly string[],
): BadRequestError | InvalidError {
  const text = strictDecodingText(fields);
  if (kind === 'write')
    return new BadRequestError(
      `${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: ${text}`,
      fields.slice(0, MAX_NAMED).map((f) => ({
        field: f.slice(0, MAX_NAME_CHARS),
        message: 'unknown field',
        reason: 'FieldValueNotSupported',
      })),
    );
  // The patched object is not echoed (Kubernetes does): it may hold a Secret's data.
  const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return new InvalidError(type.kind, typeof name === 'string' ? name : '', [
    { field: 'patch', message: text, reason: 'FieldValueInvalid' },
  ]);
}

/**
 * Applies the request's `fieldValidation` to a write's body: Strict returns it unchanged or throws
 * the strict decoding error naming its unknown fields; Warn and Ignore return it without them, Warn
 * adding one `Warning: 299 - "unknown field \"…\""` header per field, as kube-apiserver does.
 */
export function applyFieldValidation(
  c: Context,
  type: ResourceType,
  body: unknown,
  kind: WriteKind = 'write',
): unknown {
  const mode = fieldValidationMode(c.req.query('fieldValidation'));
  if (mode === 'Strict') {
    const unknown = unknownFields(type, body);
    if (unknown.length > 0) throw strictDecodingError(type, kind, body, unknown);
    return body;
  }
  const { body: kept, dropped } = dropUnknownFields(type, body);
  if (mode === 'Warn')
    for (const field of dropped)
      c.header('Warning', `299 - ${JSON.stringify(`unknown field ${JSON.stringify(field)}`)}`, { append: true });
  return kept;
}

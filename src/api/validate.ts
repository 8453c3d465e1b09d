/**
 * Validation of incoming objects against the registry's schemas, with zod issues translated to
 * Kubernetes field causes (`spec.template.spec.containers[0].imagePullPolicy: Unsupported value`).
 */
import type { z } from 'zod';
import { compiledSchema } from './compiled-schemas.js';
import { BadRequestError, InvalidError, formatPath, type FieldCause } from './errors.js';
import type { KubeObject } from './meta.js';
import { RESOURCE_TYPES, apiVersionOf, typeByKind, type ResourceType } from './registry.js';

/** The value at `path` inside `input` (own properties only), or undefined. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/**
 * Kubernetes' wording for a number out of its bounds (`Invalid value: 70000: must be between 1 and
 * 65535, inclusive`) instead of the schema library's ("Too big: expected number to be <=65535"); the
 * value is shown when the input is known. Undefined for other issues.
 */
function boundMessage(issue: z.core.$ZodIssue, field: PropertyKey | undefined, value: unknown): string | undefined {
  if ((issue.code !== 'too_big' && issue.code !== 'too_small') || issue.origin !== 'number') return undefined;
  // A schema's own message (e.g. a duration's "must be no more than 2147483 seconds") already says it.
  if (!/^Too (big|small)/.test(issue.message)) return undefined;
  const shown = typeof value === 'number' ? `Invalid value: ${value}: ` : 'Invalid value: ';
  // Ports carry Kubernetes' own phrase (validation.IsValidPortNum).
  if (typeof field === 'string' && /(^p|P)ort$/.test(field)) return `${shown}must be between 1 and 65535, inclusive`;
  const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
  const than = issue.code === 'too_big' ? 'less than' : 'greater than';
  return `${shown}must be ${than}${issue.inclusive ? ' or equal to' : ''} ${bound}`;
}

/**
 * Translates zod issues into field causes; unknown keys become one cause per key, named by full path.
 * With `input` (what was parsed), out-of-range numbers name their value, as Kubernetes does.
 */
export function issuesToCauses(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  input?: unknown,
): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        causes.push({
          field: formatPath([...base, key]),
          message: 'field not supported by Edgeplane (unknown field)',
          reason: 'FieldValueNotSupported',
        });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest, rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      const nested = issuesToCauses(best, base, input);
      causes.push(
        ...(nested.length > 0
          ? nested
          : [{ field: formatPath(base), message: issue.message, reason: 'FieldValueInvalid' }]),
      );
    } else if (boundMessage(issue, base[base.length - 1], undefined) !== undefined) {
      const value = input === undefined ? undefined : valueAt(input, base);
      causes.push({
        field: formatPath(base),
        message: boundMessage(issue, base[base.length - 1], value) ?? issue.message,
        reason: 'FieldValueInvalid',
      });
    } else {
      const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
      causes.push({
        field: formatPath(base),
        message: missing ? 'Required value' : issue.message,
        reason: missing
          ? 'FieldValueRequired'
          : issue.code === 'invalid_value'
            ? 'FieldValueNotSupported'
            : 'FieldValueInvalid',
      });
    }
  }
  return causes;
}

/** Identifies the kind of a raw object, or throws a BadRequestError saying what is missing or unknown. */
export function resolveType(raw: unknown): ResourceType {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new BadRequestError('object must be a JSON/YAML mapping');
  const { apiVersion, kind } = raw as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || apiVersion === '')
    throw new BadRequestError('apiVersion is required', [{ field: 'apiVersion', message: 'Required value' }]);
  if (typeof kind !== 'string' || kind === '')
    throw new BadRequestError('kind is required', [{ field: 'kind', message: 'Required value' }]);
  const t = typeByKind(apiVersion, kind);
  if (!t) {
    const known = RESOURCE_TYPES.map((r) => `${apiVersionOf(r)}/${r.kind}`).join(', ');
    throw new BadRequestError(`no kind "${kind}" is registered for version "${apiVersion}" (supported: ${known})`, [
      { field: 'kind', message: `unsupported kind ${apiVersion}/${kind}` },
    ]);
  }
  return t;
}

/** How {@link validateObject} and {@link validateStatusInput} parse. */
export interface ValidateOptions {
  /**
   * Parse with the schema's compiled clone (compiled-schemas.ts): the hub's registry, which validates
   * every write. The answer is the same either way; a one-off caller (edgectl) spares the compile.
   */
  compiled?: boolean;
}

/**
 * Parses `raw` with the schema of `t`; throws InvalidError listing every offending field.
 * Returns the parsed object (zod strips nothing: schemas are strict).
 */
export function validateObject<T extends KubeObject = KubeObject>(
  t: ResourceType,
  raw: unknown,
  opts: ValidateOptions = {},
): T {
  return parseAs<T>(t, t.schema, raw, opts);
}

function parseAs<T>(t: ResourceType, schema: z.ZodType, raw: unknown, opts: ValidateOptions): T {
  const result = (opts.compiled ? compiledSchema(schema) : schema).safeParse(raw);
  if (result.success) return result.data as T;
  const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  throw new InvalidError(t.kind, typeof name === 'string' ? name : '', issuesToCauses(result.error.issues, [], raw));
}

/** Per kind: its schema without `spec`, or null when the kind has no spec to leave out. */
const withoutSpec = new WeakMap<ResourceType, z.ZodType | null>();

function statusInputSchema(t: ResourceType): z.ZodType | null {
  let schema = withoutSpec.get(t);
  if (schema === undefined) {
    // `omit` keeps a strict object strict (an unknown field still fails). zod refuses to omit from an
    // object with refinements of its own; such a kind keeps its whole schema for status writes.
    const obj = t.schema as unknown as { shape?: object; omit?: (mask: { spec: true }) => z.ZodType };
    schema = null;
    if (obj.shape && 'spec' in obj.shape && typeof obj.omit === 'function') {
      try {
        schema = obj.omit({ spec: true });
      } catch {
        schema = null;
      }
    }
    withoutSpec.set(t, schema);
  }
  return schema;
}

/**
 * Parses the input of a status write (the `status` subresource). As Kubernetes does, such a write
 * takes its `spec` from the stored object, so an input may leave `spec` out; then it is validated
 * without one (its metadata and status in full). An input that carries a spec is validated whole.
 * The hub's node gateway writes each pod status report this way, without re-validating the spec.
 */
export function validateStatusInput<T extends KubeObject = KubeObject>(
  t: ResourceType,
  raw: unknown,
  opts: ValidateOptions = {},
): T {
  const spec = raw !== null && typeof raw === 'object' && Object.prototype.hasOwnProperty.call(raw, 'spec');
  return parseAs<T>(t, (spec ? null : statusInputSchema(t)) ?? t.schema, raw, opts);
}

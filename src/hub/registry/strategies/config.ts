/**
 * ConfigMaps and Secrets, with Kubernetes' rules: a Secret's `stringData` is merged into `data`
 * (base64) and never stored or returned; a Secret defaults to `Opaque` and keeps its `type`; the
 * per-type checks of `kubernetes.io/dockerconfigjson`, `tls` and `basic-auth`; an object created
 * `immutable: true` refuses any change of its data and un-setting `immutable`, worded as the API
 * server words it. Messages never quote a value (a Secret's value must not reach an error).
 */
import type { ConfigMap, FieldCause, Secret } from '../../../api/index.js';
import { jsonEqual, SECRET_TYPES } from '../../../api/index.js';
import type { KindRules } from './strategy.js';

const IMMUTABLE = 'field is immutable when `immutable` is set';

const required = (field: string): FieldCause => ({ field, message: 'Required value', reason: 'FieldValueRequired' });

/** `data` with `stringData` merged in (base64-encoded; `stringData` wins, as in Kubernetes). */
export function mergedSecretData(s: Pick<Secret, 'data' | 'stringData'>): Record<string, string> {
  const data = { ...s.data };
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return data;
}

/** Causes for a Secret whose keys do not fit its type (Kubernetes' `ValidateSecret`). */
export function secretTypeCauses(s: Secret): FieldCause[] {
  const data = mergedSecretData(s);
  const has = (k: string): boolean => (data[k] ?? '') !== '';
  const causes: FieldCause[] = [];
  switch (s.type) {
    case SECRET_TYPES.dockerConfigJson: {
      const key = '.dockerconfigjson';
      const field = `data[${key}]`;
      const raw = data[key];
      if (raw === undefined || raw === '') {
        causes.push(required(field));
        break;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
      } catch {
        // Not the parser's message: Node's quotes the text it could not parse, i.e. the secret.
        causes.push({
          field,
          message: 'Invalid value: "<secret contents redacted>": not valid JSON',
          reason: 'FieldValueInvalid',
        });
        break;
      }
      const auths = (doc as { auths?: unknown } | null)?.auths;
      if (typeof auths !== 'object' || auths === null || Array.isArray(auths))
        causes.push({
          field,
          message: 'Invalid value: "<secret contents redacted>": must be a docker config JSON object with "auths"',
          reason: 'FieldValueInvalid',
        });
      break;
    }
    case SECRET_TYPES.tls:
      for (const k of ['tls.crt', 'tls.key']) if (!has(k)) causes.push(required(`data[${k}]`));
      break;
    case SECRET_TYPES.basicAuth:
      if (!has('username') && !has('password')) causes.push(required('data[username]'), required('data[password]'));
      break;
    default:
      break;
  }
  return causes;
}

/** Causes for an update of an object that was stored `immutable: true`. */
function immutableCauses(
  cur: { immutable?: boolean | undefined },
  next: { immutable?: boolean | undefined },
  fields: Array<[string, unknown, unknown]>,
): FieldCause[] {
  if (cur.immutable !== true) return [];
  const causes: FieldCause[] = [];
  if (next.immutable !== true) causes.push({ field: 'immutable', message: IMMUTABLE, reason: 'FieldValueForbidden' });
  for (const [field, was, now] of fields)
    if (!jsonEqual(was ?? {}, now ?? {})) causes.push({ field, message: IMMUTABLE, reason: 'FieldValueForbidden' });
  return causes;
}

/** The rules of `v1 ConfigMap`. */
export const configMapStrategy: KindRules = {
  validateUpdate: (cur, next) => {
    const a = cur as ConfigMap;
    const b = next as ConfigMap;
    return immutableCauses(a, b, [
      ['data', a.data, b.data],
      ['binaryData', a.binaryData, b.binaryData],
    ]);
  },
};

/** The rules of `v1 Secret`. */
export const secretStrategy: KindRules = {
  // `stringData` is write-only: merged into `data`, never stored (so never returned).
  applyDefaults: (obj) => {
    const s = obj as Secret;
    const out: Secret = { ...s, type: s.type ?? SECRET_TYPES.opaque };
    if (s.stringData !== undefined) {
      out.data = mergedSecretData(s);
      delete out.stringData;
    }
    return out;
  },
  validate: (obj) => secretTypeCauses(obj as Secret),
  validateUpdate: (cur, next) => {
    const a = cur as Secret;
    const b = next as Secret;
    const causes: FieldCause[] = [];
    const was = a.type ?? SECRET_TYPES.opaque;
    const now = b.type ?? SECRET_TYPES.opaque;
    if (was !== now)
      causes.push({
        field: 'type',
        message: `Invalid value: "${now}": field is immutable`,
        reason: 'FieldValueInvalid',
      });
    return [...causes, ...immutableCauses(a, b, [['data', a.data, b.data]])];
  },
};

/**
 * Reading a resource request's body and query: the object of a create or update (JSON or protobuf),
 * checked against its URL (apiVersion/kind, namespace, name) with JSON nulls dropped as Kubernetes
 * decodes them; DeleteOptions (body or query, JSON or protobuf); `?limit=`; and the client values
 * quoted in their errors.
 */
import type { Context } from 'hono';
import {
  BadRequestError,
  DeleteOptions,
  PropagationPolicy,
  apiVersionOf,
  parseSecondsParam,
  issuesToCauses,
  type ResourceType,
} from '../../api/index.js';
import type { DeleteOptions as RegistryDeleteOptions } from '../registry/index.js';
import { mediaType, readBytes, readJson, parseJson } from './body.js';
import { PROTOBUF_MEDIA_TYPE, decodeObject } from './protobuf/index.js';
import type { ApiEnv } from './types.js';

type Ctx = Context<ApiEnv>;

/** A boolean query parameter (`true` or `1`). */
export const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';

/** `?limit=`: a non-negative integer; 0 or absent lists everything. */
export function listLimit(v: string | undefined): { limit?: number } {
  if (v === undefined || v === '') return {};
  if (!/^\d{1,9}$/.test(v)) throw new BadRequestError(`invalid limit "${shown(v)}": must be a non-negative integer`);
  const limit = Number(v);
  return limit > 0 ? { limit } : {};
}

/** Whether `v` is a plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A client value for an error message: JSON, cut to 100 characters. Never `String(v)`: an object
 * such as `{"toString": 1}` makes String() throw (found by the manifests fuzzer: a 500).
 */
function shown(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/**
 * Drops object members whose value is `null`, at any depth: Kubernetes decodes a JSON null into an
 * absent field, and kubectl sends such members (`metadata.creationTimestamp: null` in the pod
 * template of `rollout undo`, `kubectl create --dry-run -o yaml` output fed back to the API).
 */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  // defineProperty, not `out[k] =`: a `__proto__` member stays a member (and is refused by the schema).
  for (const [k, x] of Object.entries(v))
    if (x !== null)
      Object.defineProperty(out, k, { value: dropNulls(x), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Checks the body's identity against the URL: apiVersion/kind, and namespace and name where the
 * URL gives them (a difference is 400; an absent body value takes the URL's).
 */
export function bindToUrl(type: ResourceType, given: unknown, namespace: string | undefined, name?: string): unknown {
  if (!isObject(given)) throw new BadRequestError('request body must be a JSON object');
  const body = dropNulls(given) as Record<string, unknown>;
  const want = apiVersionOf(type);
  if (body.apiVersion !== undefined && body.apiVersion !== want) {
    throw new BadRequestError(
      `the API version in the data (${shown(body.apiVersion)}) does not match the expected API version (${want})`,
    );
  }
  if (body.kind !== undefined && body.kind !== type.kind)
    throw new BadRequestError(
      `the kind in the data (${shown(body.kind)}) does not match the expected kind (${type.kind})`,
    );
  const meta = isObject(body.metadata) ? { ...body.metadata } : body.metadata === undefined ? {} : body.metadata;
  if (isObject(meta)) {
    if (type.namespaced && namespace !== undefined) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        throw new BadRequestError(
          `the namespace of the provided object (${shown(meta.namespace)}) does not match the namespace sent on the request (${namespace})`,
        );
      }
      meta.namespace = namespace;
    }
    if (name !== undefined) {
      if (meta.name !== undefined && meta.name !== name)
        throw new BadRequestError(
          `the name of the object (${shown(meta.name)}) does not match the name on the URL (${name})`,
        );
      meta.name = name;
    }
  }
  return { apiVersion: want, kind: type.kind, ...body, metadata: meta };
}

/**
 * A create or update body: JSON, or Kubernetes protobuf for the kinds that have messages (kubectl's
 * typed clients — `create deployment|configmap|secret|namespace` — send protobuf).
 */
export async function readObject(c: Ctx, type: ResourceType, max: number): Promise<unknown> {
  if (mediaType(c) !== PROTOBUF_MEDIA_TYPE) return readJson(c, max);
  return decodeObject(await readBytes(c, max), [type.kind]);
}

/** The DeleteOptions of a DELETE: its body (JSON or protobuf) and query parameters, checked. */
export async function deleteOptions(c: Ctx, max: number): Promise<RegistryDeleteOptions> {
  const bytes = await readBytes(c, max);
  // `kubectl drain` deletes pods through a typed client: DeleteOptions in protobuf.
  const raw =
    bytes.byteLength === 0
      ? {}
      : mediaType(c) === PROTOBUF_MEDIA_TYPE
        ? decodeObject(bytes, ['DeleteOptions'])
        : parseJson(bytes);
  const parsed = DeleteOptions.safeParse(raw);
  if (!parsed.success)
    throw new BadRequestError(
      `invalid DeleteOptions: ${issuesToCauses(parsed.error.issues)
        .map((x) => `${x.field}: ${x.message}`)
        .join('; ')}`,
    );
  const b = parsed.data;
  const opts: RegistryDeleteOptions = {};
  const grace = parseSecondsParam(
    'gracePeriodSeconds',
    c.req.query('gracePeriodSeconds') ??
      (b.gracePeriodSeconds === undefined ? undefined : String(b.gracePeriodSeconds)),
  );
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy =
    c.req.query('propagationPolicy') ?? b.propagationPolicy ?? (b.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined) {
    const known = PropagationPolicy.safeParse(policy);
    if (!known.success) throw new BadRequestError(`unsupported propagationPolicy "${policy}"`);
    opts.propagationPolicy = known.data;
  }
  if (b.preconditions) opts.preconditions = b.preconditions;
  return opts;
}

/**
 * Objects to and from Kubernetes protobuf bodies, in the shapes of their JSON form (what `src/api`'s
 * zod schemas check): the one place the two encodings differ is converted here (`extra`'s values are
 * `ExtraValue{items}` messages in protobuf and string arrays in JSON).
 */
import { BadRequestError, UnsupportedMediaTypeError, errorMessage } from '../../../api/index.js';
import { Type } from 'protobufjs';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { hasProtobufMessage, protobufType } from './messages.js';

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `spec.extra` from protobuf's `{key: {items}}` to JSON's `{key: [...]}` (`toJson`) or back. */
function convertExtra(obj: Json, toJson: boolean): void {
  const spec = obj.spec;
  if (!isRecord(spec) || !isRecord(spec.extra)) return;
  spec.extra = Object.fromEntries(
    Object.entries(spec.extra).map(([k, v]) => [
      k,
      toJson ? (isRecord(v) && Array.isArray(v.items) ? v.items : []) : { items: Array.isArray(v) ? v : [] },
    ]),
  );
}

/**
 * IntOrString messages (`{type, intVal, strVal}` once unset zeros are dropped) as JSON writes them: a
 * number or a string. An all-zero one is Go's unset value (a Service port's `targetPort` left to
 * default to `port`) and is dropped.
 */
function convertIntOrString(type: Type, obj: Json): void {
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    const sub = field.resolvedType;
    if (field.map || !(sub instanceof Type)) continue;
    if (sub.name === 'IntOrString' && isRecord(v)) {
      if (v.type === 1) obj[field.name] = typeof v.strVal === 'string' ? v.strVal : '';
      else if (typeof v.intVal === 'number') obj[field.name] = v.intVal;
      else delete obj[field.name];
      continue;
    }
    if (Array.isArray(v)) for (const e of v) if (isRecord(e)) convertIntOrString(sub, e);
    if (isRecord(v)) convertIntOrString(sub, v);
  }
}

/** Fields that are pointers in Go: on the wire only when set, so a zero there is a real zero. */
const POINTER_FIELDS = new Set([
  'replicas',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'gracePeriodSeconds',
  // JobSpec's
  'parallelism',
  'completions',
  'backoffLimit',
  'activeDeadlineSeconds',
  'ttlSecondsAfterFinished',
]);

/**
 * Drops unset scalar fields of messages, at any depth (map values are left alone: a label or a
 * ConfigMap value may be empty): Go writes every non-pointer field, set or not (an unset
 * `restartPolicy` arrives as "", `hostPort` as 0), where JSON omits it; so a zero value means unset,
 * as Kubernetes reads it — except in the pointer fields above.
 */
function dropUnset(type: Type, obj: Json): Json {
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    const zero = v === '' || v === false || (v === 0 && !POINTER_FIELDS.has(field.name));
    if (zero && !field.map && !field.repeated) delete obj[field.name];
    const sub = field.resolvedType;
    if (field.map || !(sub instanceof Type)) continue;
    if (Array.isArray(v)) for (const e of v) if (isRecord(e)) dropUnset(sub, e);
    if (isRecord(v)) dropUnset(sub, v);
  }
  return obj;
}

/**
 * Decodes a protobuf body holding one object of `expectedKinds`; the result has `apiVersion` and
 * `kind` set as JSON has them. A body of another kind, or one with no message here, is refused.
 */
export function decodeObject(body: Uint8Array, expectedKinds: readonly string[]): Json {
  const envelope = decodeEnvelope(body);
  if (!expectedKinds.includes(envelope.kind) || !hasProtobufMessage(envelope.kind))
    throw new UnsupportedMediaTypeError(
      `protobuf is not supported here for kind ${JSON.stringify(envelope.kind.slice(0, 64))} (expected ${expectedKinds.join(' or ')})`,
    );
  let obj: Json;
  try {
    const type = protobufType(envelope.kind);
    // bytes as base64, as JSON writes them (Secret data, ConfigMap binaryData).
    obj = dropUnset(type, type.toObject(type.decode(envelope.raw), { longs: Number, bytes: String, defaults: false }));
    convertIntOrString(type, obj);
  } catch (err) {
    throw new BadRequestError(`protobuf body is not a valid ${envelope.kind}: ${errorMessage(err)}`);
  }
  convertExtra(obj, true);
  return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...obj };
}

/** Encodes an object (JSON shape, with `apiVersion` and `kind`) as a protobuf body. */
export function encodeObject(obj: { apiVersion: string; kind: string }): Uint8Array<ArrayBuffer> {
  const { apiVersion, kind, ...rest } = obj as { apiVersion: string; kind: string } & Json;
  const message = structuredClone(rest);
  convertExtra(message, false);
  // JSON's `creationTimestamp: null` and the like have no protobuf form: left out, as Kubernetes does.
  if (isRecord(message.metadata))
    message.metadata = Object.fromEntries(Object.entries(message.metadata).filter(([, v]) => v !== null));
  const type = protobufType(kind);
  const raw = type.encode(type.fromObject(message)).finish();
  return encodeEnvelope({ apiVersion, kind, raw });
}

/**
 * Kubernetes' protobuf wire format (`application/vnd.kubernetes.protobuf`), as apimachinery's
 * `runtime/serializer/protobuf` writes it: the 4-byte magic `k8s\0`, then a `runtime.Unknown` whose
 * `typeMeta` names the object's apiVersion and kind and whose `raw` is the object's own message.
 * The messages are encoded and decoded by protobufjs from descriptors (`messages.ts`), never by hand.
 * Field numbers follow `k8s.io/apimachinery/pkg/runtime/generated.proto`.
 */
import { BadRequestError, errorMessage } from '../../../api/index.js';
import { protobufType } from './messages.js';

/** The media type of Kubernetes' protobuf encoding. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The magic every Kubernetes protobuf body starts with (`protoEncodingPrefix`). */
const MAGIC = Uint8Array.from([0x6b, 0x38, 0x73, 0x00]);

/** An object in the envelope: its type and its message's bytes. */
export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

interface UnknownMessage {
  typeMeta?: { apiVersion?: string; kind?: string };
  raw?: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
}

/** Reads the envelope of a protobuf body; a BadRequestError says what is wrong with it. */
export function decodeEnvelope(body: Uint8Array): Envelope {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b))
    throw new BadRequestError('protobuf body does not start with the Kubernetes magic "k8s\\0"');
  let unknown: UnknownMessage;
  try {
    unknown = protobufType('Unknown').decode(body.subarray(MAGIC.length)) as UnknownMessage;
  } catch (err) {
    throw new BadRequestError(`protobuf body is not a runtime.Unknown: ${errorMessage(err)}`);
  }
  if ((unknown.contentEncoding ?? '') !== '')
    throw new BadRequestError(
      `protobuf body has a content encoding (${unknown.contentEncoding?.slice(0, 32)}); none is supported`,
    );
  return {
    apiVersion: unknown.typeMeta?.apiVersion ?? '',
    kind: unknown.typeMeta?.kind ?? '',
    raw: unknown.raw ?? new Uint8Array(),
  };
}

/** Writes an object's message bytes in the envelope, ready to send. */
export function encodeEnvelope(e: Envelope): Uint8Array<ArrayBuffer> {
  const unknown = protobufType('Unknown').fromObject({
    typeMeta: { apiVersion: e.apiVersion, kind: e.kind },
    raw: e.raw,
  });
  const inner = protobufType('Unknown').encode(unknown).finish();
  const out = new Uint8Array(MAGIC.length + inner.length);
  out.set(MAGIC, 0);
  out.set(inner, MAGIC.length);
  return out;
}

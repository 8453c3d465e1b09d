/**
 * Kubernetes' protobuf encoding on the hub's API, for the kinds that have messages here (today the
 * `authorization.k8s.io/v1` reviews, which kubectl sends as protobuf). Issue 17 extends it.
 */
export { PROTOBUF_MEDIA_TYPE, decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
export { decodeObject, encodeObject } from './codec.js';
export { hasProtobufMessage } from './messages.js';

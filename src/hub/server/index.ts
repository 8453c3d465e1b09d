/** The hub's HTTP API server (Hono). */
export { createApiApp } from './app.js';
export { BlobEncodings, BLOB_WIRE_ENCODING, type BlobEncodingsOptions, type EncodedBlob } from './blob-encodings.js';
export type {
  ApiDeps,
  ApiEnv,
  PodExecOptions,
  PodExecResult,
  PodExecSource,
  PodLogOptions,
  PodLogSource,
} from './types.js';
export type { PodStream, PodStreamEnd, PodStreamHandlers, PodStreamOptions, PodStreamSource } from './streams/index.js';
export { DEFAULT_MAX_BODY_BYTES } from './body.js';
export { mergePatch, jsonPatch } from './patch.js';
export { DEFAULT_INFLIGHT, InflightLimiter, type InflightOptions } from './inflight-limits.js';
export {
  DEFAULT_LOG_FOLLOWS_PER_USER,
  DEFAULT_WATCHES_PER_USER,
  StreamLimiter,
  TooManyRequestsError,
  type StreamLimitOptions,
} from './stream-limits.js';

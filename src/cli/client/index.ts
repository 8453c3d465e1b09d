/** Public surface of the edgectl client library: a typed client of the hub's REST API. */
export { EdgeClient, type PatchType } from './client.js';
export {
  HubUnreachableError,
  InvalidAnswerError,
  TokenRefusedError,
  isServerError,
  withListContext,
} from './errors.js';
export type { DeleteOptions, EdgeClientOptions, ListOptions, LogOptions, WatchOptions } from './types.js';
/** The REST shapes the client sends and receives, from `src/api` (re-exported for the client's users). */
export type {
  BlobRef,
  ObjectList,
  PropagationPolicy,
  Scale,
  ServerVersion,
  WatchEvent,
  WatchEventType,
} from '../../api/index.js';

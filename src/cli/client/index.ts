/** Public surface of the edgectl client library: a typed client of the hub's REST API. */
export { EdgeClient } from './client.js';
export { HubUnreachableError, TokenRefusedError, isServerError } from './errors.js';
export type {
  BlobRef,
  DeleteOptions,
  EdgeClientOptions,
  ListOptions,
  LogOptions,
  ObjectList,
  PropagationPolicy,
  Scale,
  ServerVersion,
  WatchEvent,
  WatchEventType,
  WatchOptions,
} from './types.js';

/** Public surface of the edgectl client library: a typed client of the hub's REST API. */
export { EdgeClient, type PatchType } from './client.js';
export {
  HubUnreachableError,
  InvalidAnswerError,
  TokenRefusedError,
  isServerError,
  withListContext,
} from './errors.js';
// Types only: their modules (ws, node:net, the SPDY codec) load when exec -i/-t or port-forward runs.
export type { ExecChannelIO, ExecChannelRequest, OutputSink, TerminalSize } from './exec-channel.js';
export type { ForwardOutput, ForwardedPort, ListenAddress } from './port-forwarder.js';
export type { SpdyClientSession } from './spdy-client.js';
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

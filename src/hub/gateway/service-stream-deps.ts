/** What a `ServiceStream` (service-stream.ts) is built with, and what it needs of a node session. */
import type { Logger, Service } from '../../api/index.js';
import type { NodeInterest } from './node-interest.js';
import type { StreamRouting } from './route-table.js';
import type { RouteSources } from './routes.js';
import type { ServicePumpLimits } from './service-pump.js';

/** What the stream needs of a node session. */
export interface StreamSession {
  readonly nodeName: string | undefined;
  /** The protocol version the session speaks. */
  readonly protocol: number;
  /** Bytes written to the session and not yet handed to the network. */
  readonly bufferedAmount: number;
  sendFrame(frame: Buffer): void;
  /** Pings the node: true once it answers (it has read everything sent before), false after `timeoutMs`. */
  probe?(timeoutMs: number): Promise<boolean>;
}

export interface ServiceStreamDeps extends RouteSources {
  /** Whether nodes hold a Service's requests while it has no ready endpoint (scale from zero). */
  wakeable?: (svc: Service) => boolean;
  interest: NodeInterest;
  /** The admitted session of a node. */
  sessionOf(node: string): StreamSession | undefined;
  /** Every admitted session. */
  sessions(): Iterable<StreamSession>;
  logger: Logger;
  /** How long changes are gathered before they are sent (default 50 ms). */
  coalesceMs?: number;
  /** Starts the coalescing timer and returns its cancel (default `setTimeout`; tests drive it by hand). */
  after?: (ms: number, fn: () => void) => () => void;
  /** Endpoints per frame (default `SERVICE_CHUNK_ENDPOINTS`). */
  chunkEndpoints?: number;
  /** Bounds of the fan-out (tests shrink them). */
  pump?: Partial<ServicePumpLimits>;
  /** Compiled HTTPRoutes: Gateway ports as routes of their own, Services' rules, Services every node needs. */
  routing?: StreamRouting;
}

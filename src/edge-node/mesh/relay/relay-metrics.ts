/**
 * What the relay carries, kept as plain numbers and read by the node's Prometheus registry at scrape
 * time (`metrics/prometheus/relay-registry.ts`): relayed connections (dialed by this node, accepted for
 * it) and their failures, the bytes through them, the time to open one (the hub's two WebSocket
 * upgrades and the nodes' TLS handshake inside), and the requests sent to peers with their latency by
 * path (`direct` or `relayed`). The relay's added latency per request is the difference of the two paths'
 * latencies.
 *
 * Requests are matched to their connection through undici's diagnostics channels (`undici:client:
 * sendHeaders` carries the socket a request goes out on): the dialer marks each socket it hands the
 * peer pools as direct or relayed, and a request on a marked socket is counted once its answer's
 * headers arrive (or it fails). Sockets not marked — the hub's, the registry's — are not counted.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { WebSocket } from 'ws';
import { LATENCY_BUCKETS_MS } from '../../../api/index.js';

/** A latency histogram as plain numbers (buckets by LATENCY_BUCKETS_MS, the last one past them). */
export interface LatencyCounts {
  buckets: number[];
  sumMs: number;
  count: number;
}

/** The path a peer request took. */
export type PeerPath = 'direct' | 'relayed';

const newCounts = (): LatencyCounts => ({ buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), sumMs: 0, count: 0 }); // prettier-ignore

function observe(h: LatencyCounts, ms: number): void {
  const i = LATENCY_BUCKETS_MS.findIndex((le) => ms <= le);
  h.buckets[i < 0 ? LATENCY_BUCKETS_MS.length : i]!++;
  h.sumMs += ms;
  h.count++;
}

/** One direction of relayed connections: `dialed` by this node, `accepted` for peers dialing it. */
export interface RelayDirectionCounts {
  connections: number;
  failures: number;
  bytesSent: number;
  bytesReceived: number;
}

interface SendHeaders {
  request: object;
  socket: object;
}

/** The relay's counters (see the file comment). Call `close()` to stop following requests. */
export class RelayMetrics {
  readonly dialed: RelayDirectionCounts = { connections: 0, failures: 0, bytesSent: 0, bytesReceived: 0 };
  readonly accepted: RelayDirectionCounts = { connections: 0, failures: 0, bytesSent: 0, bytesReceived: 0 };
  /** Time to open a relayed connection, TLS handshake included. */
  readonly connect: LatencyCounts = newCounts();
  /** Requests to peers by path: answered (time to the answer's headers) and failed without one. */
  readonly requests: Record<PeerPath, LatencyCounts & { errors: number }> = {
    direct: { ...newCounts(), errors: 0 },
    relayed: { ...newCounts(), errors: 0 },
  };
  readonly #sockets = new WeakMap<object, PeerPath>();
  readonly #started = new WeakMap<object, { path: PeerPath; at: number }>();
  readonly #now: () => number;
  readonly #onSend = (m: unknown): void => {
    const { request, socket } = m as SendHeaders;
    const path = this.#sockets.get(socket);
    if (path !== undefined) this.#started.set(request, { path, at: this.#now() });
  };
  readonly #onHeaders = (m: unknown): void => {
    const { request } = m as { request: object };
    const s = this.#started.get(request);
    if (!s) return;
    this.#started.delete(request);
    observe(this.requests[s.path], this.#now() - s.at);
  };
  readonly #onError = (m: unknown): void => {
    const { request } = m as { request: object };
    const s = this.#started.get(request);
    if (!s) return;
    this.#started.delete(request);
    this.requests[s.path].errors++;
  };

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    subscribe('undici:client:sendHeaders', this.#onSend);
    subscribe('undici:request:headers', this.#onHeaders);
    subscribe('undici:request:error', this.#onError);
  }

  /** A socket handed to the peer pools: requests on it are counted under `path`. */
  mark(socket: object, path: PeerPath): void {
    this.#sockets.set(socket, path);
  }

  /** A relayed connection opened in `openMs`. */
  opened(openMs: number): void {
    this.dialed.connections++;
    observe(this.connect, openMs);
  }

  /** Counts the bytes of relayed connection `ws` (each binary message is a chunk of the nodes' TLS). */
  countBytes(ws: WebSocket, into: RelayDirectionCounts): void {
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => (into.bytesReceived += byteLength(data)));
    // ws's stream writes through `send`: the bytes this node put on the relay.
    const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
    (ws as { send: (data: unknown, ...rest: unknown[]) => void }).send = (data, ...rest) => {
      into.bytesSent += byteLength(data);
      send(data, ...rest);
    };
  }

  /** Stops following requests (the counters stay readable). */
  close(): void {
    unsubscribe('undici:client:sendHeaders', this.#onSend);
    unsubscribe('undici:request:headers', this.#onHeaders);
    unsubscribe('undici:request:error', this.#onError);
  }
}

function byteLength(data: unknown): number {
  if (Array.isArray(data)) return (data as Buffer[]).reduce((n, b) => n + b.byteLength, 0);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'string') return Buffer.byteLength(data);
  return 0;
}

/**
 * The relay dialer: a `PeerDialer` that reaches a peer's mesh server through the hub when it cannot
 * be reached directly. The TLS session is the nodes' own (this node's certificate, the peer's checked
 * to be that node's), run inside the relayed byte stream: the hub moves bytes it cannot read.
 *
 * Modes (`--mesh-relay`): `always` relays every peer connection; `auto` dials directly and, when a
 * direct connect fails for want of a path (refused, unreachable, timed out), remembers the peer as
 * relayed for `retryDirectMs` and takes the relay for that connection and the next ones; after the
 * period the next connection tries directly again.
 */
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { RELAY_DIAL_PATH } from '../../../api/index.js';
import type { Connector, PeerDial, PeerDialer } from './peer-dialer.js';
import type { RelayMetrics } from './relay-metrics.js';
import { RelayUnavailableError, openedStream, redirectedHub, relaySocket, type RelayHubLink } from './relay-socket.js';

/** How the node uses the relay for its outgoing mesh connections. */
export type RelayMode = 'auto' | 'always' | 'never';

/** Dependencies of the relay dialer. */
export interface RelayDialerDeps {
  link: RelayHubLink;
  mode: Exclude<RelayMode, 'never'>;
  /** How long a peer found unreachable is relayed before a direct dial is tried again (default 60 s). */
  retryDirectMs?: number;
  /** Deadline of opening the relay socket and the TLS handshake inside it (default 10 s). */
  connectTimeoutMs?: number;
  now?: () => number;
  /** Counts relayed connections, their bytes and open time, and peer requests by path (Prometheus). */
  metrics?: RelayMetrics;
}

/** Error codes of a direct dial that mean "no path to the peer" (not a TLS or certificate failure). */
const NO_PATH = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Code of a relayed dial whose relay could not be opened (see `upstream-error.ts`: a connect failure). */
export const RELAY_UNAVAILABLE = 'ERR_MESH_RELAY_UNAVAILABLE';

/** Counters of the dialer (for metrics and tests). */
export interface RelayDialerStats {
  direct: number;
  relayed: number;
  /** Direct dials that failed for want of a path and fell back to the relay. */
  fallbacks: number;
  failed: number;
  /** Relayed dials sent on by the hub to the hub the peer is on (several hubs), and followed. */
  redirected: number;
}

/** Dials peers directly or through the hub. */
export class RelayDialer implements PeerDialer {
  readonly stats: RelayDialerStats = { direct: 0, relayed: 0, fallbacks: 0, failed: 0, redirected: 0 };
  /** Peers found unreachable, with the time a direct dial is tried again. */
  private readonly relayedUntil = new Map<string, number>();

  constructor(private readonly deps: RelayDialerDeps) {}

  /** Whether connections to `nodeName` go through the hub now. */
  relays(nodeName: string): boolean {
    if (this.deps.mode === 'always') return true;
    const until = this.relayedUntil.get(nodeName);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.relayedUntil.delete(nodeName);
    return false;
  }

  connector(dial: PeerDial): Connector {
    return (opts, callback) => {
      if (this.relays(dial.nodeName)) return void this.relay(dial, callback);
      dial.direct(opts, (err, socket) => {
        if (err === null) {
          this.stats.direct++;
          if (socket) this.deps.metrics?.mark(socket, 'direct');
          return callback(null, socket);
        }
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!NO_PATH.has(code)) return callback(err, null);
        this.stats.fallbacks++;
        this.relayedUntil.set(dial.nodeName, this.now() + (this.deps.retryDirectMs ?? 60_000));
        this.relay(dial, callback, err);
      });
    };
  }

  /**
   * Opens a relayed connection to the peer and runs the hop's TLS inside it. `directErr`: the direct
   * dial's failure this relay falls back from.
   *
   * When the relay itself cannot be opened (the peer has no listener on the hub: most often it is down,
   * not behind NAT), the caller gets the direct dial's own error back and the peer is not remembered as
   * relayed — so the mesh still sees a connect failure it may retry on another endpoint, as without a
   * relay. Without a direct error (the peer was already relayed), the failure carries
   * `ERR_MESH_RELAY_UNAVAILABLE`, which the mesh also treats as a connect failure (nothing was sent).
   */
  private relay(dial: PeerDial, callback: Parameters<Connector>[1], directErr?: Error): void {
    const timeoutMs = this.deps.connectTimeoutMs ?? 10_000;
    const metrics = this.deps.metrics;
    const openedAt = performance.now();
    let ws: WebSocket | undefined;
    const open = (base?: string): Promise<Duplex> => {
      ws = relaySocket(this.deps.link, RELAY_DIAL_PATH, { node: dial.nodeName }, timeoutMs, base);
      metrics?.countBytes(ws, metrics.dialed);
      return openedStream(ws);
    };
    let done = false;
    let socket: TLSSocket | undefined;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err || socket === undefined) {
        this.stats.failed++;
        if (metrics) metrics.dialed.failures++;
        ws?.terminate();
        socket?.destroy();
        if (socket === undefined) {
          // The relay never opened: nothing reached the peer.
          if (directErr) {
            this.relayedUntil.delete(dial.nodeName);
            return callback(directErr, null);
          }
          const why = err?.message ?? 'relay closed';
          return callback(
            Object.assign(new Error(`relay to ${dial.nodeName}: ${why}`), { code: RELAY_UNAVAILABLE }),
            null,
          );
        }
        return callback(err ?? new Error('relay closed'), null);
      }
      this.stats.relayed++;
      metrics?.opened(performance.now() - openedAt);
      metrics?.mark(socket, 'relayed');
      callback(null, socket);
    };
    const timer = setTimeout(() => finish(new Error(`relayed connection to ${dial.nodeName} timed out`)), timeoutMs);
    open()
      .catch((err: unknown) => {
        // Several hubs: the peer's session is on another hub, which this one names. Followed once.
        const hub =
          err instanceof RelayUnavailableError
            ? redirectedHub(this.deps.link, err.location, RELAY_DIAL_PATH)
            : undefined;
        if (hub === undefined || done) throw err;
        this.stats.redirected++;
        return open(hub);
      })
      .then(
        (stream) => {
          if (done) return void stream.destroy();
          const tls = tlsConnect({ ...dial.tls, socket: stream });
          socket = tls;
          tls.once('secureConnect', () => finish(null));
          tls.once('error', (err: Error) => finish(err));
          // The stream ends when the hub or the peer closes the relay: so does the TLS session.
          stream.once('error', () => tls.destroy());
        },
        (err: Error) => finish(err),
      );
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}

/**
 * The relay listener: one WebSocket the node keeps open to its hub's RELAY_LISTEN_PATH, on which the
 * hub offers connections other nodes cannot make directly. Each offer is answered with a socket at
 * RELAY_ACCEPT_PATH, joined to a TCP connection to this node's own mesh server — so a relayed
 * connection meets the same TLS handshake (a cluster node certificate required) and the same checks
 * (revoked keys, hop headers) as a direct one.
 */
import { connect as netConnect } from 'node:net';
import { pipeline } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../../api/index.js';
import { RELAY_ACCEPT_PATH, RELAY_LISTEN_PATH, RelayOffer, errorMessage } from '../../../api/index.js';
import type { RelayMetrics } from './relay-metrics.js';
import { openedStream, relaySocket, type RelayHubLink } from './relay-socket.js';

/** Dependencies of the relay listener. */
export interface RelayListenerDeps {
  link: RelayHubLink;
  logger: Logger;
  /** Where this node's mesh server listens (its `--address`, or loopback for a wildcard one). */
  meshTarget(): { host: string; port: number };
  /** Relayed connections accepted at once (default 64); offers past it are left to time out at the hub. */
  maxConnections?: number;
  /** Longest wait before the listener is opened again after it closed (default 30 s). */
  maxRedialMs?: number;
  /** Counts the relayed connections accepted and their bytes (Prometheus). */
  metrics?: RelayMetrics;
}

/** Counters of the listener (for metrics and tests). */
export interface RelayListenerStats {
  offers: number;
  accepted: number;
  active: number;
  refused: number;
}

/** Keeps the relay listener open and answers the hub's offers. */
export class RelayListener {
  readonly stats: RelayListenerStats = { offers: 0, accepted: 0, active: 0, refused: 0 };
  private ws: WebSocket | undefined;
  private stopped = true;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly connections = new Set<{ destroy(): void }>();
  private listening = false;
  /** The hub the listener was last opened on. */
  private dialedBase: string | undefined;

  constructor(private readonly deps: RelayListenerDeps) {}

  /** Whether the hub has the listener now (offers can arrive). */
  get open(): boolean {
    return this.listening;
  }

  /** Opens the listener (and keeps it open until `stop`). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.dial();
  }

  /**
   * Moves the listener to the hub the node's session is on now, if it is open elsewhere (several
   * hubs): the other hubs send dials for this node there. A listener waiting to redial (after its hub
   * went) is opened at once. Connections already relayed stay.
   */
  followHub(): void {
    const old = this.ws;
    if (this.stopped || old === undefined) return;
    if (this.dialedBase === this.deps.link.base() && old.readyState !== old.CLOSED) return;
    this.ws = undefined;
    this.listening = false;
    old.terminate();
    clearTimeout(this.timer);
    this.failures = 0;
    this.dial();
  }

  /** Closes the listener and every relayed connection. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
  }

  private dial(): void {
    if (this.stopped) return;
    const base = this.deps.link.base();
    this.dialedBase = base;
    const ws = relaySocket(this.deps.link, RELAY_LISTEN_PATH, {}, 10_000, base);
    this.ws = ws;
    openedStream(ws).catch((err: unknown) => {
      // An older hub (404) has no relay; a hub that is down is redialed like any other: quietly.
      this.deps.logger.debug({ err: errorMessage(err) }, 'relay listener not open');
    });
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.failures = 0;
      this.listening = true;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const parsed = RelayOffer.safeParse(safeJson(Buffer.from(data as Buffer).toString('utf8')));
      // The answer goes to the hub that made the offer (it holds the dialer's socket).
      if (parsed.success) this.accept(parsed.data, base);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws || this.stopped) return;
      this.listening = false;
      this.failures++;
      // Full jitter, doubling from 1 s: a hub restart does not see every node's listener at once.
      const cap = Math.min(this.deps.maxRedialMs ?? 30_000, 1000 * 2 ** Math.min(this.failures - 1, 10));
      this.timer = setTimeout(() => this.dial(), Math.random() * cap);
      this.timer.unref();
    });
  }

  private accept(offer: RelayOffer, base: string): void {
    this.stats.offers++;
    if (this.stats.active >= (this.deps.maxConnections ?? 64)) {
      this.stats.refused++;
      return;
    }
    this.stats.active++;
    const ws = relaySocket(this.deps.link, RELAY_ACCEPT_PATH, { id: offer.id }, 10_000, base);
    const metrics = this.deps.metrics;
    metrics?.countBytes(ws, metrics.accepted);
    const handle = { destroy: () => ws.terminate() };
    this.connections.add(handle);
    const end = (): void => {
      if (!this.connections.delete(handle)) return;
      this.stats.active--;
    };
    ws.on('close', end);
    openedStream(ws).then(
      (stream) => {
        if (this.stopped) return void stream.destroy();
        this.stats.accepted++;
        if (metrics) metrics.accepted.connections++;
        const { host, port } = this.deps.meshTarget();
        const tcp = netConnect({ host, port });
        tcp.setNoDelay(true);
        handle.destroy = () => {
          tcp.destroy();
          ws.terminate();
        };
        // Both directions with backpressure; either side ending or failing ends the other.
        pipeline(stream, tcp, stream, () => {
          tcp.destroy();
          ws.terminate();
          end();
        });
      },
      (err: unknown) => {
        if (metrics) metrics.accepted.failures++;
        this.deps.logger.debug({ err: errorMessage(err), from: offer.from }, 'relay offer not accepted');
        end();
      },
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

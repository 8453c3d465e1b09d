/**
 * The hub's side of the mesh relay (`src/api/wire-relay.ts`): it keeps each node's relay listener,
 * offers a dialing node's connection to the peer's listener, and joins the dialer's socket with the
 * peer's answer (`relay-pipe.ts`). It sees only the nodes' TLS records: it cannot read or forge the
 * requests it moves. Every socket is a node's, authenticated by its certificate before it gets here.
 *
 * With several hubs (HA), a relayed connection needs both nodes' sockets on the same hub. A dial for a
 * peer whose session is on another live hub (its presence record names it) is answered with a redirect
 * to that hub's dial path, which the node follows once; the bytes then cross only that hub. A peer no
 * live hub names is refused (404), and the dialing node's balancer treats that endpoint as unreachable,
 * like a failed direct connect.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../../api/index.js';
import {
  MAX_RELAY_MESSAGE_BYTES,
  RELAY_ACCEPT_PATH,
  RELAY_DIAL_PATH,
  RELAY_LISTEN_PATH,
  type RelayOffer,
} from '../../../api/index.js';
import { joinSockets } from './relay-pipe.js';

/** Limits of the relay. */
export interface MeshRelayLimits {
  /** How often each listener is pinged; one that has not answered the last ping is closed (default 30 s). */
  pingIntervalMs: number;
  /** Relayed connections a node may hold open at once, dialed and accepted together (default 64). */
  connectionsPerNode: number;
  /** How long a dialer waits for its peer to accept (default 10 s). */
  acceptTimeoutMs: number;
  /** Bytes sent to one side not yet written before the other side is no longer read (default 1 MiB). */
  highWaterBytes: number;
}

export const DEFAULT_RELAY_LIMITS: MeshRelayLimits = {
  pingIntervalMs: 30_000,
  connectionsPerNode: 64,
  acceptTimeoutMs: 10_000,
  highWaterBytes: 1024 * 1024,
};

/** Why the relay refused a connection, or gave up on one (the label of the hub's refusal counter). */
export const RELAY_REFUSALS = ['bad-request', 'no-listener', 'limit', 'not-accepted', 'no-offer'] as const;
/** One of {@link RELAY_REFUSALS}: a dial naming no other node; a peer with no listener here; a per-node limit; a peer that did not accept in time; an accept for no pending offer. */
export type RelayRefusal = (typeof RELAY_REFUSALS)[number];

/** The relay's counters (the hub's metrics read them). */
export interface MeshRelayStats {
  /** Nodes with a listener on this hub. */
  listeners: number;
  /** Relayed connections joined since start, open now, refused (no listener, a limit, no answer). */
  opened: number;
  active: number;
  refused: number;
  /** The refusals by reason (`refused` is their sum). */
  refusedBy: Record<RelayRefusal, number>;
  /** Bytes moved (both directions). */
  bytes: number;
  /** Dials sent on to the hub the peer is on (several hubs). */
  redirected: number;
}

/** Where other nodes are (several hubs). */
export interface RelayPeerHub {
  /**
   * The base URL (`https://10.0.0.2:7400`) of the live hub `node`'s session is on, when another hub's
   * presence record names it (`leader/hub-presence.ts`), else undefined.
   */
  hubOf(node: string): string | undefined;
  /** Whether `node` has a gateway session on this hub. */
  connectedHere(node: string): boolean;
}

/** A node name as the certificates carry it (RFC 1123 subdomain). */
const NODE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

interface PendingDial {
  from: string;
  to: string;
  ws: WebSocket;
  timer: NodeJS.Timeout;
}

/** Pairs relayed connections between nodes' sockets. */
export class MeshRelay {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_RELAY_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  private readonly listeners = new Map<string, WebSocket>();
  private readonly pending = new Map<string, PendingDial>();
  private readonly perNode = new Map<string, number>();
  private readonly counters = { opened: 0, bytes: 0, redirected: 0 };
  private readonly refusedBy = Object.fromEntries(RELAY_REFUSALS.map((r) => [r, 0])) as Record<RelayRefusal, number>;
  private readonly limits: MeshRelayLimits;
  /** Listeners pinged and not answered yet; still here at the next ping, they are closed. */
  private readonly awaitingPong = new Set<WebSocket>();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    limits: Partial<MeshRelayLimits> = {},
    private readonly peerHub?: RelayPeerHub,
  ) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...limits };
    // A listener whose node vanished without closing its socket (its link died) would take offers
    // into nowhere until TCP gave up, minutes later: pinged, it goes after one silent interval.
    this.pinger = setInterval(() => this.pingListeners(), this.limits.pingIntervalMs);
    this.pinger.unref();
  }

  get stats(): MeshRelayStats {
    let active = 0;
    for (const n of this.perNode.values()) active += n;
    const refusedBy = { ...this.refusedBy };
    const refused = Object.values(refusedBy).reduce((a, b) => a + b, 0);
    return { listeners: this.listeners.size, ...this.counters, refused, refusedBy, active: Math.floor(active / 2) };
  }

  /** Handles an upgrade at one of the relay paths from node `node` (its certificate checked by the caller). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, node: string): void {
    const url = new URL(req.url ?? '/', 'http://relay');
    switch (url.pathname) {
      case RELAY_LISTEN_PATH:
        return this.wss.handleUpgrade(req, socket, head, (ws) => this.listen(node, ws));
      case RELAY_DIAL_PATH:
        return this.dial(req, socket, head, node, url.searchParams.get('node') ?? '');
      case RELAY_ACCEPT_PATH:
        return this.accept(req, socket, head, node, url.searchParams.get('id') ?? '');
      default:
        return refuse(socket, 404, 'not a relay path');
    }
  }

  /** Closes every relay socket. */
  close(): void {
    clearInterval(this.pinger);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private listen(node: string, ws: WebSocket): void {
    // One listener per node: a newer one (a redial after a drop the hub has not noticed) replaces it.
    this.listeners.get(node)?.close(4000, 'replaced by a newer listener');
    this.listeners.set(node, ws);
    ws.on('message', () => undefined);
    ws.on('pong', () => this.awaitingPong.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.awaitingPong.delete(ws);
      if (this.listeners.get(node) === ws) this.listeners.delete(node);
    });
  }

  private pingListeners(): void {
    for (const ws of this.listeners.values()) {
      if (this.awaitingPong.has(ws)) {
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      ws.ping();
    }
  }

  private dial(req: IncomingMessage, socket: Duplex, head: Buffer, from: string, to: string): void {
    if (!NODE_NAME.test(to) || to === from)
      return this.refused(socket, 'bad-request', 'a relayed connection names another node: ?node=<name>');
    const listener = this.listeners.get(to);
    // A listener here is used while the node's session is here too (or no other hub names it): one
    // whose node moved to another hub is stale, its socket maybe dead, until its ping goes unanswered.
    const elsewhere = this.peerHub && !this.peerHub.connectedHere(to) ? this.peerHub.hubOf(to) : undefined;
    if (elsewhere !== undefined && isHubBase(elsewhere)) return this.redirect(socket, elsewhere, to);
    if (listener === undefined)
      return this.refused(socket, 'no-listener', `node ${to} has no relay listener on this hub`);
    if (this.count(from) >= this.limits.connectionsPerNode || this.count(to) >= this.limits.connectionsPerNode)
      return this.refused(socket, 'limit', 'too many relayed connections for one node');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Nothing is read from the dialer until its peer has answered: its bytes wait in TCP.
      ws.pause();
      const id = randomBytes(12).toString('base64url');
      this.hold(from, 1);
      this.hold(to, 1);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.refusedBy['not-accepted']++;
        this.release(from, to);
        ws.close(1013, `node ${to} did not accept the relayed connection`);
      }, this.limits.acceptTimeoutMs);
      timer.unref();
      this.pending.set(id, { from, to, ws, timer });
      ws.on('close', () => {
        const p = this.pending.get(id);
        if (p?.ws !== ws) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        this.release(from, to);
      });
      const offer: RelayOffer = { type: 'offer', id, from };
      listener.send(JSON.stringify(offer));
    });
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, node: string, id: string): void {
    const p = this.pending.get(id);
    // Only the node the offer went to may answer it.
    if (p === undefined || p.to !== node) return this.refused(socket, 'no-offer', 'no such relay offer');
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (p.ws.readyState !== p.ws.OPEN) {
        this.release(p.from, p.to);
        return ws.close(1000, 'the dialer went away');
      }
      this.counters.opened++;
      this.logger.debug({ from: p.from, to: p.to }, 'relayed mesh connection joined');
      joinSockets(p.ws, ws, this.limits.highWaterBytes, {
        bytes: (n) => (this.counters.bytes += n),
        closed: () => this.release(p.from, p.to),
      });
    });
  }

  /** Sends the dial on to `hub` (where `to`'s session is); the node follows it once. */
  private redirect(socket: Duplex, hub: string, to: string): void {
    this.counters.redirected++;
    const location = `${hub.replace(/\/+$/, '')}${RELAY_DIAL_PATH}?${new URLSearchParams({ node: to }).toString()}`;
    this.logger.debug({ to, hub }, 'relayed connection sent on to the hub the peer is on');
    refuse(socket, 307, `node ${to} is on another hub`, { Location: location });
  }

  private refused(socket: Duplex, reason: keyof typeof STATUS, text: string): void {
    this.refusedBy[reason]++;
    refuse(socket, STATUS[reason], text);
  }

  private count(node: string): number {
    return this.perNode.get(node) ?? 0;
  }

  private hold(node: string, n: number): void {
    const v = this.count(node) + n;
    if (v <= 0) this.perNode.delete(node);
    else this.perNode.set(node, v);
  }

  private release(from: string, to: string): void {
    this.hold(from, -1);
    this.hold(to, -1);
  }
}

const PHRASES: Record<number, string> = {
  307: 'Temporary Redirect',
  400: 'Bad Request',
  404: 'Not Found',
  429: 'Too Many Requests',
};
/** The HTTP status of each refusal answered on the upgrade request. */
const STATUS: Record<Exclude<RelayRefusal, 'not-accepted'>, number> = {
  'bad-request': 400,
  'no-listener': 404,
  limit: 429,
  'no-offer': 404,
};

/** A hub address fit for a Location header: an http(s) URL (no CR/LF, which could split the answer). */
function isHubBase(url: string): boolean {
  if (/[\r\n]/.test(url)) return false;
  try {
    return /^https?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
}

/** Answers the upgrade request with `code` instead of a WebSocket, and closes. */
function refuse(socket: Duplex, code: number, text: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(
    `HTTP/1.1 ${code} ${PHRASES[code] ?? 'Error'}\r\nContent-Type: text/plain\r\n${extra}Connection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  socket.destroy();
}

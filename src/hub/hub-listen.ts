/**
 * The hub's HTTP(S) listener: the API app served by @hono/node-server, the node gateway's WebSocket
 * upgrades and the pod stream upgrades attached to it, bound to the configured address. Kept apart from
 * `hub.ts`, which wires the parts together; this only serves them.
 */
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from '../api/index.js';
import type { NodeGateway } from './gateway/index.js';
import type { PodStreamUpgrades } from './server/streams/index.js';
import { HandshakeGate, type HandshakeGateLimits, type HubTls } from './tls/index.js';

/**
 * The listen backlog asked for: connections the kernel completes and holds until the hub accepts them.
 * Node's default, 511, overflows when a fleet dials at once (a hub restart, a power cut coming back):
 * the kernel then drops the handshakes past it and the clients retransmit after 1, 3, 7 s, past their
 * timeouts. Linux caps it at `net.core.somaxconn` (4096 by default since 5.4), as Go's listeners (the
 * kube-apiserver's) ask for that value.
 */
export const LISTEN_BACKLOG = 65_535;

/** How long a stop waits for a TLS server's connections to close before it ends them (no gate). */
const STOP_GRACE_MS = 2_000;

/** What {@link listenHub} serves and where. */
export interface HubListenParts {
  fetch: (request: Request) => Response | Promise<Response>;
  tls: HubTls | undefined;
  gateway: NodeGateway;
  streams: PodStreamUpgrades;
  port: number;
  host: string;
  logger: Logger;
  /** Bounds on the TLS handshakes worked on at once (`tls/handshake-gate.ts`); `maxInFlight` 0: none. */
  handshakeGate?: HandshakeGateLimits;
}

/** A listening hub server, its URL, and whether that address can be dialled by others. */
export interface HubListener {
  server: Server | HttpsServer;
  /** With a handshake gate: the TCP listener that accepts for `server`, and the gate between them. */
  acceptor?: { server: NetServer; gate: HandshakeGate };
  /** A TLS server without a gate: its open TCP connections, those in their handshake included. */
  connections?: Set<Socket>;
  address: AddressInfo;
  url: string;
  /** The bound address listens everywhere (`0.0.0.0`, `::`) and names no host to dial. */
  wildcard: boolean;
}

/** Creates the server, attaches the gateway and streams, listens, and starts TLS renewal. */
export async function listenHub(parts: HubListenParts): Promise<HubListener> {
  const { tls } = parts;
  const server = tls
    ? (createAdaptorServer({
        fetch: parts.fetch,
        createServer: createHttpsServer,
        serverOptions: tls.serverOptions(),
      }) as HttpsServer)
    : (createAdaptorServer({ fetch: parts.fetch }) as Server);
  // Watches and followed logs are long-lived: no request timeout on them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  const gated = tls && (parts.handshakeGate?.maxInFlight ?? 1) > 0;
  const gate = gated ? new HandshakeGate(server as HttpsServer, parts.handshakeGate) : undefined;
  // With a gate the TLS server listens on nothing: a TCP server accepts, unread, and the gate hands over.
  // noDelay as Node's HTTP server sets it on the sockets it accepts: small writes (watch events, API
  // answers) must not wait on Nagle's algorithm and delayed ACKs.
  const acceptor = gate && createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) => gate.offer(socket));
  parts.gateway.attach(server, parts.streams, gate);
  const connections = tls && !gate ? openConnections(server) : undefined;
  const listening: NetServer = acceptor ?? server;
  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject);
    listening.listen({ port: parts.port, host: parts.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  // Node's HTTP server sets up its connection tracking (headers timeout, closeAllConnections) on
  // 'listening': a gated one must be told, as it never listens itself.
  if (acceptor) server.emit('listening');
  parts.gateway.listening();
  if (tls) tls.start(server as HttpsServer);
  else parts.logger.warn('serving plain HTTP (--insecure-http): tokens and pod specs cross the network in clear');
  const address = listening.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  const wildcard = address.address === '0.0.0.0' || address.address === '::' || address.address === '';
  return {
    server,
    ...(acceptor && gate ? { acceptor: { server: acceptor, gate } } : {}),
    ...(connections ? { connections } : {}),
    address,
    url,
    wildcard,
  };
}

/**
 * The TCP connections of `server` until each closes. Node's HTTPS server tracks a connection only once
 * its TLS handshake is done: one still in it (a client that connected and said nothing) is not among
 * what `closeAllConnections` ends, and `close` waits on it until the 120 s handshake timeout. A stop
 * ends what is left of them after {@link STOP_GRACE_MS}, which the WebSocket sessions' close handshakes
 * get first.
 */
function openConnections(server: NetServer): Set<Socket> {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return open;
}

/** Closes the listener (and its gate) and every connection still open on it. */
export async function closeHubServer(
  listener: Pick<HubListener, 'server' | 'acceptor' | 'connections'>,
): Promise<void> {
  const { server, acceptor, connections } = listener;
  acceptor?.gate.close();
  const closed = (s: NetServer): Promise<void> => new Promise((resolve) => s.close(() => resolve()));
  // A gated TLS server never listened itself; its close still ends the HTTP server's connection checks.
  const closing = [closed(server), ...(acceptor ? [closed(acceptor.server)] : [])];
  server.closeAllConnections?.();
  if (connections && connections.size > 0) {
    // The node sessions are finishing their close handshakes; what is still open after the grace is a
    // connection in its TLS handshake (or a peer that does not answer), which nothing else would end.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([Promise.all(closing), grace]);
    clearTimeout(timer);
    for (const socket of connections) socket.destroy();
  }
  await Promise.all(closing);
}

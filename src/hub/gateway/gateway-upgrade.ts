/**
 * The gateway's WebSocket upgrades: only GATEWAY_PATH is served; a node authenticates with its
 * certificate (an HTTPS hub) or, on a plain-HTTP hub, with a bootstrap token; an accepted socket
 * becomes a `NodeSession` that must say hello within a deadline.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../api/index.js';
import { GATEWAY_PATH, MAX_NODE_FRAME_BYTES, errorMessage, isRelayPath } from '../../api/index.js';
import type { MeshRelay } from './relay/index.js';
import type { NodeGatewayDeps } from './gateway-deps.js';
import { NodeSession, type NodeSessionHandlers } from './session.js';

/** What the upgrade handler needs: how nodes authenticate, session limits, and where sessions report. */
export interface GatewayUpgradeDeps extends Pick<
  NodeGatewayDeps,
  'auth' | 'certificates' | 'sessionLimits' | 'helloTimeoutMs' | 'frameMeter'
> {
  logger: Logger;
  handlers: NodeSessionHandlers;
  /** The mesh relay between nodes (its paths take the same node certificates as the gateway). */
  relay?: Pick<MeshRelay, 'upgrade'>;
}

/** Turns authenticated upgrade requests into node sessions. */
export class GatewayUpgrade {
  // No compression: an inflated frame would cost more than its wire size (ws bounds it by maxPayload, but why spend it).
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_NODE_FRAME_BYTES,
    perMessageDeflate: false,
  });

  constructor(private readonly deps: GatewayUpgradeDeps) {}

  /** Handles one HTTP upgrade request (other paths are refused with 404). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    const reject = (code: number, text: string): void => {
      socket.write(
        `HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
      socket.destroy();
    };
    const relay = path !== undefined && isRelayPath(path) ? this.deps.relay : undefined;
    if (path !== GATEWAY_PATH && relay === undefined) return reject(404, 'Not Found');
    const certificates = this.deps.certificates;
    // The relay moves the nodes' own mTLS sessions: only a TLS hub's certificate nodes use it.
    if (relay !== undefined && certificates === undefined) return reject(403, 'Forbidden');
    if (certificates === undefined) {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      // A plain-HTTP hub (--insecure-http): nodes have no certificates and connect with a bootstrap token.
      if (this.deps.auth.verify(token)?.kind !== 'bootstrap') return reject(401, 'Unauthorized');
      return this.accept(req, socket, head, undefined);
    }
    certificates.authenticate(req.socket).then(
      (result) => {
        const p = result.kind === 'authenticated' ? result.principal : undefined;
        if (p?.kind !== 'node' || p.name === undefined) return reject(401, 'Unauthorized');
        if (relay !== undefined) return socket.destroyed ? undefined : relay.upgrade(req, socket, head, p.name);
        this.accept(req, socket, head, p.name);
      },
      (err: unknown) => {
        this.deps.logger.error({ err: errorMessage(err) }, 'authenticating a node certificate failed');
        reject(503, 'Service Unavailable');
      },
    );
  }

  /** Closes the WebSocket server (sessions are closed by their owner). */
  close(): void {
    this.wss.close();
  }

  /** Completes an authenticated upgrade; `certifiedName` is the node its certificate names. */
  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, certifiedName: string | undefined): void {
    if (socket.destroyed) return;
    const remote = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const { handlers, logger, sessionLimits, frameMeter } = this.deps;
      const session = new NodeSession(ws, handlers, logger, sessionLimits, remote, frameMeter);
      session.certifiedName = certifiedName;
      const timer = setTimeout(() => {
        if (!session.helloReceived) session.fail('no hello received in time');
      }, this.deps.helloTimeoutMs ?? 10_000);
      timer.unref();
    });
  }
}

/**
 * The node's mesh server: peers forward Service traffic here (`MESH_TARGET_HEADER` names the pod,
 * `MESH_PORT_HEADER` the target port). With mTLS (a TLS hub) it speaks TLS 1.3 only and requires a
 * client certificate issued by the cluster CA — no certificate, another issuer or an expired one
 * fails the handshake — naming a node of this cluster (`O=system:nodes`, `CN=system:node:<name>`;
 * any other certificate, a user's, gets 403 saying why). The TLS material switches on rotation
 * (`setTlsMaterial`) without closing open connections. In insecure-token mode (a hub run with
 * `--insecure-http`) it is plain HTTP, authenticated with the cluster's mesh token. Delivery is
 * local only — the sending node already balanced — and a pod that is not here or not running is
 * answered with `MESH_ERROR_HEADER` so the sender can try another endpoint — as is a request past
 * the server's cap of concurrent requests (nothing was processed). Bodies stream through to
 * container ports; a Wasm pod's is held whole within the node's `BodyBuffers`.
 *
 * Being a node of the cluster does not say which ports a peer may reach: a forwarded request may target only a Service endpoint on this node — a (pod, targetPort)
 * pair of a Service the hub published here. Anything else (an arbitrary port of a pod, which for a
 * hostNetwork container is any port of the node's address) is refused with 403 before any delivery.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { PEER_BLOB_MESH_PATH, errorMessage } from '../../../api/index.js';
import type { Logger } from '../../../api/index.js';
import { answerFailure } from '../balancing/balance-answer.js';
import type { Deliverer } from '../delivery/deliverer.js';
import { UpstreamUnreachableError } from '../delivery/upstream-error.js';
import { proxiedRequest, sendText } from '../http/http-util.js';
import { RequestGate, createLimitedServer, listenerLimits, type ListenerLimits } from '../http/listener-limits.js';
import { clientBodyError, type BodyBuffers } from '../http/body-limits.js';
import { ServerResponseSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { MESH_ERROR_HEADER, MESH_PORT_HEADER, MESH_TARGET_HEADER, bearerMatches, fromMeshHop } from '../protocol.js';
import { peerNode, type PeerNode } from '../trust/node-peer.js';
import type { RevokedPeers } from '../trust/revoked-peers.js';
import { serverContext, serverTlsOptions, type MeshTlsMaterial, type MeshTransport } from '../trust/tls-material.js';

/** Dependencies of the mesh server. */
export interface MeshServerDeps {
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** How peers are authenticated: their node certificates (mTLS) or the cluster's mesh token. */
  transport: MeshTransport;
  /** mTLS: the node's material when it already has it (else every handshake fails until `setTlsMaterial`). */
  tls?: MeshTlsMaterial;
  /** insecure-token: the current mesh token; undefined until the hub (or local state) provides one. */
  meshToken?(): string | undefined;
  /** mTLS: keys the hub revoked; a peer certificate for one is refused (403) though it verifies. */
  revokedPeers?: Pick<RevokedPeers, 'refuses'>;
  local: LocalTargetLookup;
  /**
   * Whether pod `namespace/name` on this node is an endpoint of a Service port with this targetPort
   * (number or containerPort name, as sent in `MESH_PORT_HEADER`): the node's Service table.
   */
  isServiceEndpoint(namespace: string, name: string, targetPort: number | string): boolean;
  deliverer: Deliverer;
  logger: Logger;
  /** Limits of the listener (defaults: `DEFAULT_LISTENER_LIMITS`). */
  limits?: Partial<ListenerLimits>;
  /** The node's budget for bodies held whole. */
  bodyBuffers?: BodyBuffers;
}

/** Answers a peer's request under `PEER_BLOB_MESH_PATH` (the blobs this node holds, issue 20). */
export type MeshBlobHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Accepts node-to-node Service traffic for local pods. */
export class MeshServer {
  private readonly deps: MeshServerDeps;
  private readonly server: Server;
  private readonly gate: RequestGate;
  private readonly limits: ListenerLimits;
  /** Who each TLS connection's peer is, read once per connection (not per request). */
  private readonly peers = new WeakMap<Socket, PeerNode>();
  private boundPort = 0;
  private readonly handshakeCounts = { full: 0, resumed: 0 };
  private blobHandler: MeshBlobHandler | undefined;

  private constructor(deps: MeshServerDeps) {
    this.deps = deps;
    this.limits = listenerLimits(deps.limits);
    this.gate = new RequestGate(this.limits, 'the mesh server', { [MESH_ERROR_HEADER]: 'busy' });
    const tls = deps.transport === 'mtls' ? serverTlsOptions(deps.tls) : undefined;
    this.server = createLimitedServer(
      this.limits,
      this.gate,
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          deps.logger.error({ err: errorMessage(err) }, 'mesh request failed');
          sendText(res, 500, `mesh error: ${errorMessage(err)}`);
        });
      },
      tls,
    );
    if (tls) {
      this.server.on('secureConnection', (socket: TLSSocket) => {
        if (socket.isSessionReused()) this.handshakeCounts.resumed++;
        else this.handshakeCounts.full++;
      });
      // A refused handshake (no certificate, another CA, expired, a scanner): at debug, with the
      // reason only — a stranger must not be able to fill the node's disk with log lines.
      this.server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
        // A certificate that did not verify is seen after the handshake: Node then closes the
        // connection (no request is read) and the verification error is on the socket.
        const reason = (socket.authorizationError as unknown as string | undefined) ?? err.code ?? err.message;
        deps.logger.debug({ err: String(reason), peer: socket.remoteAddress }, 'mesh TLS handshake refused');
      });
    }
  }

  /**
   * Switches to new TLS material (a rotated node certificate or CA): new handshakes use it,
   * connections open now keep theirs. Only in mTLS mode.
   */
  setTlsMaterial(material: MeshTlsMaterial): void {
    if (this.deps.transport !== 'mtls') throw new Error('the mesh server runs in insecure-token mode: no TLS material');
    (this.server as unknown as TlsServer).setSecureContext(serverContext(material));
  }

  /**
   * Serves the blobs this node holds to authenticated peers (set once the runtime that holds them
   * exists; until then such requests get 404 and the peer asks the hub).
   */
  setBlobHandler(handler: MeshBlobHandler): void {
    this.blobHandler = handler;
  }

  /** TLS handshakes completed so far, full and resumed (mTLS mode; diagnostics, tests, the bench). */
  get handshakes(): { full: number; resumed: number } {
    return { ...this.handshakeCounts };
  }

  /** Requests in flight (tests, diagnostics). */
  get inFlight(): number {
    return this.gate.inFlight;
  }

  /** Creates the server (not yet listening). */
  static create(deps: MeshServerDeps): Promise<MeshServer> {
    return Promise.resolve(new MeshServer(deps));
  }

  /** The port listened on (after `start`). */
  get port(): number {
    return this.boundPort;
  }

  /** Listens on `address:port`; rejects when the port cannot be bound. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.deps.port, this.deps.address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err) => this.deps.logger.error({ err: err.message }, 'mesh listener error'));
    this.boundPort = (this.server.address() as AddressInfo).port;
    this.deps.logger.info({ address: this.deps.address, port: this.boundPort }, 'mesh server listening');
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private peerOf(socket: TLSSocket): PeerNode {
    let peer = this.peers.get(socket);
    if (peer === undefined) {
      peer = verifiedPeer(socket);
      this.peers.set(socket, peer);
    }
    return peer;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (this.deps.transport === 'mtls') {
      const peer = this.peerOf(req.socket as TLSSocket);
      if (!peer.ok) return sendText(res, 403, `mesh: ${peer.reason}; only nodes of this cluster may forward here`);
      if (this.deps.revokedPeers?.refuses(req.socket as TLSSocket))
        return sendText(res, 403, `mesh: the certificate of node ${peer.nodeName} is revoked (its Node was deleted)`);
    } else {
      const token = this.deps.meshToken?.();
      if (token === undefined || !bearerMatches(req.headers.authorization, token)) {
        return sendText(res, 401, 'mesh: missing or wrong mesh token', { 'www-authenticate': 'Bearer' });
      }
    }
    // Peer-to-peer blobs: the same authentication as Service traffic, then a read-only file answer.
    if (req.url?.startsWith(PEER_BLOB_MESH_PATH)) {
      if (this.blobHandler) return this.blobHandler(req, res);
      return sendText(res, 404, 'mesh: this node serves no blobs');
    }
    const target = headerValue(req.headers[MESH_TARGET_HEADER]);
    const portText = headerValue(req.headers[MESH_PORT_HEADER]);
    const slash = target?.indexOf('/') ?? -1;
    if (target === undefined || slash <= 0 || portText === undefined || portText === '') {
      return sendText(
        res,
        400,
        `mesh: headers ${MESH_TARGET_HEADER} (namespace/name) and ${MESH_PORT_HEADER} are required`,
      );
    }
    const namespace = target.slice(0, slash);
    const name = target.slice(slash + 1);
    const port = /^[0-9]+$/.test(portText) ? Number(portText) : portText;
    const t = this.deps.local(namespace, name, port);
    if (!t.ok && t.reason === 'not-found')
      return sendText(res, 404, `mesh: ${t.message}`, { [MESH_ERROR_HEADER]: t.reason });
    // Before anything is said of the pod's ports (whether one is served, whether it runs).
    if (!this.deps.isServiceEndpoint(namespace, name, port)) {
      // The mesh error header: nothing was processed, so a sender whose Service table is ahead of
      // this node's (the endpoint is not here yet) tries another endpoint. Logged at debug: a peer
      // must not be able to fill the node's disk with log lines.
      this.deps.logger.debug(
        { pod: `${namespace}/${name}`, port: String(port).slice(0, 64), peer: req.socket.remoteAddress },
        'mesh request for a port that is not a Service endpoint refused',
      );
      return sendText(
        res,
        403,
        `mesh: port ${JSON.stringify(String(port).slice(0, 64))} of pod ${namespace}/${name} is not a Service endpoint on this node; the mesh delivers only to Service endpoints`,
        { [MESH_ERROR_HEADER]: 'not-endpoint' },
      );
    }
    if (!t.ok) return sendText(res, 503, `mesh: ${t.message}`, { [MESH_ERROR_HEADER]: t.reason });
    const body = proxiedRequest(req, this.limits.maxRequestBodyBytes);
    // The client's own authorization restored, the hop's headers dropped; the sender's deadline
    // when shorter than the pod's own (else this node's; see deliverLocal).
    const { headers, timeLeftMs } = fromMeshHop(body.headers);
    const timeoutMs = timeLeftMs;
    try {
      const sink = new ServerResponseSink(res);
      await this.deps.deliverer.deliverLocal(t, { ...body, headers }, sink, timeoutMs, { namespace, name });
    } catch (err) {
      // Nothing was processed: tell the sender, which may try another endpoint.
      if (err instanceof UpstreamUnreachableError)
        sendText(res, 503, `mesh: ${err.message}`, { [MESH_ERROR_HEADER]: 'not-running' });
      else answerFailure(res, clientBodyError(err, body.body) ?? err, 'mesh: ');
    } finally {
      body.body.release();
    }
  }
}

/** The handshake verified the chain (`rejectUnauthorized`); this reads whose it is. */
function verifiedPeer(socket: TLSSocket): PeerNode {
  if (!socket.authorized)
    return {
      ok: false,
      reason: `client certificate refused (${socket.authorizationError?.message ?? 'not verified'})`,
    };
  return peerNode(socket.getPeerCertificate(), 'client');
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The node gateway: one WebSocket per node at GATEWAY_PATH. On hello the node is admitted and
 * registered (`admission.ts`: one live agent per node name, a bounded number at once, the rest told
 * to retry later), then sent its whole desired pod set and its Services (`service-stream.ts`: only
 * those it needs, as deltas after the first set, each encoded once for every node; protocol-1 nodes
 * get the whole `serviceSync`), then changes as they happen; pod status reported by the node
 * is written to the store. Pod logs and exec are served by asking the hosting node
 * (`pod-requests.ts`). Frames to a node stay within what it decodes (`pod-frames.ts`: a big pod set
 * goes in parts, a pod that cannot fit is refused with an Event), and the Events a node records are
 * rate-limited per node (`event-limiter.ts`); what a node reports is taken in by `node-reports.ts`. */
import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type {
  Clock,
  ConfigMap,
  Endpoints,
  Logger,
  Node,
  NodeInfo,
  NodeToHub,
  Pod,
  Secret,
  Service,
} from '../../api/index.js';
import { GATEWAY_PATH, MAX_NODE_FRAME_BYTES, errorMessage } from '../../api/index.js';
import type { NodeLifecycleController } from '../controllers/index.js';
import { jsonEqual, type EventRecorder } from '../reconcile/index.js';
import { BY_NODE_NAME, nodeNameOf, type Informer } from '../informers/index.js';
import { RevocationPush, type CertificateAuthenticator, type RevokedNodeKeys } from '../identity/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { PodExecOptions, PodExecResult, PodExecSource, PodLogOptions, PodLogSource } from '../server/index.js';
import type { NodeEventRate } from './event-limiter.js';
import { NodeAdmission } from './admission.js';
import type { AdmissionLimits } from './admission-slots.js';
import { ConfigDelivery } from './config-delivery.js';
import {
  DEFAULT_HUB_FRAME_LIMITS,
  nodeRelevant,
  podDeleteMessage,
  podSyncFrames,
  podUpsertFrame,
  type HubFrameLimits,
  type RefusedPod,
} from './pod-frames.js';
import { PodRequests } from './pod-requests.js';
import { NodeReports } from './node-reports.js';
import { NodeInterest } from './node-interest.js';
import { ServiceStream } from './service-stream.js';
import { CLOSE_NODE_REVOKED, NodeSession, type NodeSessionLimits } from './session.js';

/** Verifies a bearer token; only `kind: 'node'` principals may connect. */
export interface GatewayAuth {
  verify(token: string): { kind: string } | undefined;
}

export interface NodeGatewayDeps {
  api: ObjectAPI;
  auth: GatewayAuth;
  /**
   * Node certificates (an HTTPS hub): when given, a node must connect with its certificate (a bound
   * `system:node:<name>` one) and may say hello only as that name; tokens do not reach the gateway.
   */
  certificates?: Pick<CertificateAuthenticator, 'authenticate'>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer<Service>;
  endpoints: Informer<Endpoints>;
  /** ConfigMaps and Secrets, sent to the nodes whose pods reference them (both or neither). */
  configMaps?: Informer<ConfigMap>;
  secrets?: Informer<Secret>;
  lifecycle: NodeLifecycleController;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** The mesh token, sent in `welcome` to token nodes only (a plain-HTTP hub: no certificates). */
  meshToken: string;
  /** Revoked node keys, pushed to certificate nodes for their mesh ports (a TLS hub). */
  revokedKeys?: Pick<RevokedNodeKeys, 'list' | 'onChange'>;
  heartbeatIntervalSeconds: number;
  /** How long a new connection may take to say hello. */
  helloTimeoutMs?: number;
  /**
   * How long the live session of a node name gets to answer a ping before a second connection for
   * the same name takes it over (default 3 s); when it answers, the newcomer is refused.
   */
  duplicateCheckTimeoutMs?: number;
  /** Per-session limits (invalid frames, queued messages, unread bytes). */
  sessionLimits?: Partial<NodeSessionLimits>;
  /** Exec requests in flight per node (default 32) and log streams open per node (default 64). */
  maxExecsPerNode?: number;
  maxLogStreamsPerNode?: number;
  /** Events a node may record: per second and burst (default 5/s, burst 50); past it they are dropped. */
  nodeEventRate?: Partial<NodeEventRate>;
  /** What a node accepts in one frame (default: the wire's bounds; tests shrink them). */
  nodeFrameLimits?: Partial<HubFrameLimits>;
  /** How long Service and endpoint changes are gathered before nodes are sent them (default 50 ms). */
  serviceCoalesceMs?: number;
  /** Bounds of concurrent admission (default 64 registering at once, 2048 waiting; past it nodes retry later). */
  admissionLimits?: Partial<AdmissionLimits>;
}

/** Sessions with edge nodes, their admission, and what the hub sends them. */
export class NodeGateway implements PodLogSource, PodExecSource {
  // No compression: an inflated frame would cost more than its wire size (ws bounds it by maxPayload, but why spend it).
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_NODE_FRAME_BYTES,
    perMessageDeflate: false,
  });
  private readonly sessions = new Map<string, NodeSession>();
  private readonly requests: PodRequests;
  private readonly interest = new NodeInterest();
  private readonly services: ServiceStream;
  private readonly reports: NodeReports;
  private readonly admission: NodeAdmission;
  private readonly gatewayEvents: EventRecorder;
  private readonly frameLimits: HubFrameLimits;
  private readonly config: ConfigDelivery | undefined;
  private readonly revocations: RevocationPush | undefined;

  constructor(private readonly deps: NodeGatewayDeps) {
    deps.pods.addIndex(BY_NODE_NAME, nodeNameOf);
    this.frameLimits = { ...DEFAULT_HUB_FRAME_LIMITS, ...deps.nodeFrameLimits };
    this.services = new ServiceStream({
      services: deps.services,
      endpoints: deps.endpoints,
      nodes: deps.nodes,
      interest: this.interest,
      sessionOf: (node) => this.sessions.get(node),
      sessions: () => this.sessions.values(),
      logger: deps.logger,
      ...(deps.serviceCoalesceMs !== undefined ? { coalesceMs: deps.serviceCoalesceMs } : {}),
    });
    this.gatewayEvents = deps.events.withComponent('node-gateway');
    this.revocations = deps.revokedKeys && new RevocationPush(deps.revokedKeys, () => this.sessions.values());
    this.admission = new NodeAdmission({
      api: deps.api,
      nodes: deps.nodes,
      lifecycle: deps.lifecycle,
      events: this.gatewayEvents,
      logger: deps.logger,
      sessions: this.sessions,
      ...(deps.duplicateCheckTimeoutMs !== undefined ? { duplicateCheckTimeoutMs: deps.duplicateCheckTimeoutMs } : {}),
      onAdmitted: (session, info) => this.welcome(session, info),
      ...(deps.admissionLimits ? { limits: deps.admissionLimits } : {}),
    });
    this.requests = new PodRequests({
      pods: deps.pods,
      sessionOf: (node) => this.sessions.get(node),
      ...(deps.maxExecsPerNode !== undefined ? { maxExecsPerNode: deps.maxExecsPerNode } : {}),
      ...(deps.maxLogStreamsPerNode !== undefined ? { maxLogStreamsPerNode: deps.maxLogStreamsPerNode } : {}),
    });
    this.reports = new NodeReports({
      api: deps.api,
      pods: deps.pods,
      lifecycle: deps.lifecycle,
      events: deps.events,
      clock: deps.clock,
      logger: deps.logger,
      requests: this.requests,
      nodeEventRate: deps.nodeEventRate,
      resync: (session) => this.services.resync(session),
    });
    // The Services a pod's node needs go out before the pod, so its first call finds them.
    this.config =
      deps.configMaps && deps.secrets
        ? new ConfigDelivery({
            configMaps: deps.configMaps,
            secrets: deps.secrets,
            sessionOf: (node) => this.sessions.get(node),
            logger: deps.logger,
          })
        : undefined;
    deps.pods.addHandler({
      onAdd: (p) => {
        this.services.interestChanged(this.interest.podChanged(undefined, p));
        this.podToNode(undefined, p);
      },
      onUpdate: (o, p) => {
        this.services.interestChanged(this.interest.podChanged(o, p));
        this.podToNode(o, p);
      },
      onDelete: (p) => {
        const s = p.spec.nodeName ? this.sessions.get(p.spec.nodeName) : undefined;
        s?.send(podDeleteMessage(p));
        this.services.interestChanged(this.interest.podChanged(p, undefined));
        this.config?.podDeleted(p);
      },
    });
    // `edgectl delete node X` revokes X's credential: its live session goes now, not at its next dial.
    deps.nodes.addHandler({
      onAdd: (n) => this.services.nodeChanged(undefined, n),
      onUpdate: (o, n) => this.services.nodeChanged(o, n),
      onDelete: (n) => this.revoke(n.metadata.name ?? ''),
    });
    const svcChanged = (o: { metadata: { namespace?: string; name?: string } }): void =>
      this.services.serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    deps.services.addHandler({ onAdd: svcChanged, onUpdate: (_o, n) => svcChanged(n), onDelete: svcChanged });
    deps.endpoints.addHandler({ onAdd: svcChanged, onUpdate: (_o, n) => svcChanged(n), onDelete: svcChanged });
  }

  /** Handles WebSocket upgrades on `server` (other upgrade paths are refused with 404). */
  attach(server: Server | HttpsServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Names of nodes with a live session. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  /** Closes every node session and the WebSocket server. */
  stop(): Promise<void> {
    this.services.stop();
    for (const s of this.sessions.values()) s.close();
    this.wss.close();
    return Promise.resolve();
  }

  /** Streams a pod's logs from its node (implements the API server's PodLogSource). */
  stream(namespace: string, pod: string, opts: PodLogOptions, signal: AbortSignal): AsyncIterable<string> {
    return this.requests.stream(namespace, pod, opts, signal);
  }

  /** Runs a command in a pod's container on its node (implements the API server's PodExecSource). */
  exec(namespace: string, pod: string, opts: PodExecOptions): Promise<PodExecResult> {
    return this.requests.exec(namespace, pod, opts);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    const reject = (code: number, text: string): void => {
      socket.write(
        `HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
      socket.destroy();
    };
    if (path !== GATEWAY_PATH) return reject(404, 'Not Found');
    const certificates = this.deps.certificates;
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
        this.accept(req, socket, head, p.name);
      },
      (err: unknown) => {
        this.deps.logger.error({ err: errorMessage(err) }, 'authenticating a node certificate failed');
        reject(503, 'Service Unavailable');
      },
    );
  }

  /** Completes an authenticated upgrade; `certifiedName` is the node its certificate names. */
  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, certifiedName: string | undefined): void {
    if (socket.destroyed) return;
    const remote = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const handlers = {
        onMessage: (s: NodeSession, m: NodeToHub) => this.onMessage(s, m),
        onClose: (s: NodeSession) => this.onClose(s),
      };
      const session = new NodeSession(ws, handlers, this.deps.logger, this.deps.sessionLimits, remote);
      session.certifiedName = certifiedName;
      const timer = setTimeout(() => {
        if (!session.helloReceived) session.fail('no hello received in time');
      }, this.deps.helloTimeoutMs ?? 10_000);
      timer.unref();
    });
  }

  private async onMessage(session: NodeSession, msg: NodeToHub): Promise<void> {
    if (msg.type === 'hello') {
      const certified = session.certifiedName;
      if (certified !== undefined && msg.node.name !== certified)
        return session.fail(
          `this connection's certificate is node ${certified}'s; it may not say hello as ${msg.node.name}`,
        );
      return this.admission.hello(session, msg);
    }
    const node = session.nodeName;
    if (!node) {
      if (!session.helloReceived) session.violation(`"${msg.type}" before "hello": say hello first`);
      return;
    }
    await this.reports.handle(session, node, msg);
  }

  /** Sends a just-admitted node its welcome, its whole pod set and every Service route. */
  private welcome(session: NodeSession, info: NodeInfo): void {
    session.send({
      type: 'welcome',
      protocol: session.protocol,
      nodeName: info.name,
      heartbeatIntervalSeconds: this.deps.heartbeatIntervalSeconds,
      // A node with a certificate uses it on the mesh: the token goes only to token nodes (plain HTTP).
      ...(session.certifiedName === undefined ? { meshToken: this.deps.meshToken } : {}),
    });
    this.revocations?.welcome(session);
    // Config first: the pods of the podSync below find what they reference already there.
    for (const frame of this.config?.syncFrames(info.name) ?? []) session.sendFrame(frame);
    // The whole set, split into parts when it would not fit one frame (a node closes on a frame past its bound).
    const sync = podSyncFrames(this.deps.pods.byIndex(BY_NODE_NAME, info.name), this.frameLimits);
    for (const frame of sync.frames) session.sendFrame(frame);
    if (sync.frames.length > 1)
      this.deps.logger.info(
        { node: info.name, frames: sync.frames.length },
        'pod set too big for one frame; sent in parts',
      );
    for (const r of sync.refused) this.refusePod(info.name, r);
    this.services.welcome(session, session.resume);
  }

  /** A pod the node cannot be sent: it does not run there, and its Event and a log line say why. */
  private refusePod(node: string, r: RefusedPod): void {
    const ref = `${r.pod.metadata.namespace ?? ''}/${r.pod.metadata.name ?? ''}`;
    this.deps.logger.warn({ node, pod: ref, reason: r.reason }, r.message);
    void this.gatewayEvents.record(r.pod, 'Warning', r.reason, `${r.message} (node ${node})`);
  }

  /** Closes the session of a node whose Node was deleted: its certificate no longer authenticates. */
  private revoke(node: string): void {
    const session = this.sessions.get(node);
    if (!session || session.certifiedName === undefined) return;
    this.deps.logger.info({ node }, 'node deleted: closing its session (credential revoked)');
    session.fail(
      `node ${node} was deleted; its certificate is revoked. To join again, delete the node's pki/node.* files and start it with a bootstrap token`,
      CLOSE_NODE_REVOKED,
      'NodeRevoked',
    );
  }

  private onClose(session: NodeSession): void {
    const node = session.nodeName;
    if (!node || this.sessions.get(node) !== session) return;
    this.sessions.delete(node);
    this.services.disconnected(node);
    this.deps.lifecycle.disconnected(node);
    this.reports.disconnected(node, (n) => this.sessions.has(n));
    this.requests.failNode(node);
    this.deps.logger.info({ node }, 'node disconnected');
  }

  private podToNode(old: Pod | undefined, pod: Pod): void {
    this.config?.podChanged(pod);
    const node = pod.spec.nodeName;
    if (!node) return;
    if (old && old.spec.nodeName === node && jsonEqual(nodeRelevant(old), nodeRelevant(pod))) return;
    const session = this.sessions.get(node);
    if (!session) return;
    const upsert = podUpsertFrame(pod, this.frameLimits);
    if ('frame' in upsert) return session.sendFrame(upsert.frame);
    // As in a sync, a pod the node cannot be sent is not in its set: an older copy it runs stops.
    this.refusePod(node, upsert.refused);
    session.send(podDeleteMessage(pod));
  }
}

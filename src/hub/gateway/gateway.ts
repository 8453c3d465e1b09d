/**
 * The node gateway: one WebSocket per node at GATEWAY_PATH (`gateway-upgrade.ts`: authentication and
 * the hello deadline). On hello the node is admitted and registered (`admission.ts`: one live agent per
 * node name, a bounded number at once, the rest told to retry later), then sent its config
 * (`config-delivery.ts`), its whole desired pod set (`pod-delivery.ts`) and its Services
 * (`service-stream.ts`: only those it needs, as deltas after the first set, each encoded once for every
 * node; protocol-1 nodes get the whole `serviceSync`), then changes as they happen (what the informers
 * feed where: `gateway-informers.ts`); pod status reported
 * by the node is written to the store. Pod logs and exec are served by asking the hosting node
 * (`pod-requests.ts`). Frames to a node stay within what it decodes (`pod-frames.ts`: a big pod set
 * goes in parts, a pod that cannot fit is refused with an Event), and the Events a node records are
 * rate-limited per node (`event-limiter.ts`); what a node reports is taken in by `node-reports.ts`. */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server as HttpsServer } from 'node:https';
import { Server as TlsServer } from 'node:tls';
import type { NodeInfo, NodeToHub } from '../../api/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import { BY_NODE_NAME, nodeNameOf } from '../informers/index.js';
import { RevocationPush } from '../identity/index.js';
import { HubListPush } from './hub-list-push.js';
import { HeartbeatPace } from './heartbeat-pace.js';
import { HeartbeatPacePush } from './heartbeat-pace-push.js';
import type {
  PodExecOptions,
  PodExecResult,
  PodExecSource,
  PodLogOptions,
  PodLogSource,
  PodStream,
  PodStreamHandlers,
  PodStreamOptions,
  PodStreamSource,
} from '../server/index.js';
import type { NodeGatewayDeps } from './gateway-deps.js';
import { GatewayUpgrade } from './gateway-upgrade.js';
import { HandshakeBacklog } from './handshake-backlog.js';
import { MeshRelay } from './relay/index.js';
import { NodeAdmission } from './admission.js';
import { ConfigDelivery } from './config-delivery.js';
import { DEFAULT_HUB_FRAME_LIMITS } from './pod-frames.js';
import { PodDelivery } from './pod-delivery.js';
import { PodRequests } from './pod-requests.js';
import { NodeReports } from './node-reports.js';
import { NodeInterest } from './node-interest.js';
import { ServiceStream } from './service-stream.js';
import { RouteTable } from './route-table.js';
import { TerminatingPods } from './terminating-endpoints.js';
import { feedGateway, wakeableServices } from './gateway-informers.js';
import { CLOSE_NODE_REVOKED, type NodeSession } from './session.js';

/** Another upgrade handler sharing the server (the API's streaming subresources). */
export interface UpgradeHandler {
  handles(req: IncomingMessage): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export type { GatewayAuth, NodeGatewayDeps } from './gateway-deps.js';

/** Sessions with edge nodes, their admission, and what the hub sends them. */
export class NodeGateway implements PodLogSource, PodExecSource, PodStreamSource {
  private readonly sessions = new Map<string, NodeSession>();
  private readonly upgrades: GatewayUpgrade;
  /** The mesh relay between nodes that cannot reach each other (issue 20; `relay/`). */
  readonly relay: MeshRelay;
  private readonly requests: PodRequests;
  private readonly interest = new NodeInterest();
  private readonly services: ServiceStream;
  private readonly routes: RouteTable | undefined;
  private readonly reports: NodeReports;
  private readonly admission: NodeAdmission;
  private readonly gatewayEvents: EventRecorder;
  private readonly pods: PodDelivery;
  private readonly config: ConfigDelivery | undefined;
  private readonly revocations: RevocationPush | undefined;
  private readonly hubList: HubListPush | undefined;
  private readonly pace: HeartbeatPacePush;
  /** Whether the hub is behind on accepted connections (TLS only), set by {@link attach}. */
  private behind: (() => boolean) | undefined;

  constructor(private readonly deps: NodeGatewayDeps) {
    deps.pods.addIndex(BY_NODE_NAME, nodeNameOf);
    const sessionOf = (node: string): NodeSession | undefined => this.sessions.get(node);
    const hubOf = deps.relayPeerHub;
    this.relay = new MeshRelay(
      deps.logger.child({ component: 'mesh-relay' }),
      {},
      hubOf && { hubOf, connectedHere: (node) => this.sessions.has(node) },
    );
    this.upgrades = new GatewayUpgrade({
      relay: this.relay,
      auth: deps.auth,
      ...(deps.certificates ? { certificates: deps.certificates } : {}),
      ...(deps.sessionLimits ? { sessionLimits: deps.sessionLimits } : {}),
      ...(deps.helloTimeoutMs !== undefined ? { helloTimeoutMs: deps.helloTimeoutMs } : {}),
      ...(deps.frameMeter ? { frameMeter: deps.frameMeter } : {}),
      logger: deps.logger,
      handlers: { onMessage: (s, m) => this.onMessage(s, m), onClose: (s) => this.onClose(s) },
    });
    this.routes =
      deps.gateways && deps.httpRoutes
        ? new RouteTable({
            gateways: deps.gateways,
            httpRoutes: deps.httpRoutes,
            gatewayClasses: deps.gatewayClasses,
            referenceGrants: deps.referenceGrants,
            services: deps.services,
            changed: (keys) => {
              for (const k of keys)
                this.services.serviceChanged(k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1));
            },
          })
        : undefined;
    const terminating = new TerminatingPods(deps.pods, deps.services);
    this.services = new ServiceStream({
      ...(this.routes ? { routing: this.routes } : {}),
      terminating,
      services: deps.services,
      endpoints: deps.endpoints,
      nodes: deps.nodes,
      interest: this.interest,
      sessionOf,
      sessions: () => this.sessions.values(),
      logger: deps.logger,
      ...(deps.serviceCoalesceMs !== undefined ? { coalesceMs: deps.serviceCoalesceMs } : {}),
      ...(deps.scaleTargets
        ? { wakeable: wakeableServices(deps.scaleTargets, (ns) => this.services.namespaceChanged(ns)) }
        : {}),
    });
    this.gatewayEvents = deps.events.withComponent('node-gateway');
    this.revocations = deps.revokedKeys && new RevocationPush(deps.revokedKeys, () => this.sessions.values());
    this.hubList = deps.hubList && new HubListPush(deps.hubList, () => this.sessions.values());
    const pace =
      deps.heartbeatPace ??
      new HeartbeatPace({ baseSeconds: deps.heartbeatIntervalSeconds, maxPerSecond: 0, now: () => deps.clock.now() });
    this.pace = new HeartbeatPacePush(pace, () => this.sessions.values(), deps.logger);
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
      sessionOf,
      ...(deps.maxExecsPerNode !== undefined ? { maxExecsPerNode: deps.maxExecsPerNode } : {}),
      ...(deps.maxLogStreamsPerNode !== undefined ? { maxLogStreamsPerNode: deps.maxLogStreamsPerNode } : {}),
    });
    this.reports = new NodeReports({
      api: deps.api,
      pods: deps.pods,
      nodes: deps.nodes,
      lifecycle: deps.lifecycle,
      events: deps.events,
      clock: deps.clock,
      logger: deps.logger,
      requests: this.requests,
      nodeEventRate: deps.nodeEventRate,
      resync: (session) => this.services.resync(session),
      podResync: (session, node) => this.pods.resync(session, node),
      metrics: deps.metrics,
    });
    deps.metrics?.bind({ sessionOf, routesNamespace: (n, ns) => this.interest.wants(n, ns) });
    this.config =
      deps.configMaps && deps.secrets
        ? new ConfigDelivery({ configMaps: deps.configMaps, secrets: deps.secrets, sessionOf, logger: deps.logger })
        : undefined;
    this.pods = new PodDelivery({
      pods: deps.pods,
      nodes: deps.nodes,
      sessionOf,
      frameLimits: { ...DEFAULT_HUB_FRAME_LIMITS, ...deps.nodeFrameLimits },
      events: this.gatewayEvents,
      logger: deps.logger,
    });
    feedGateway(deps, {
      interest: this.interest,
      services: () => this.services,
      terminating,
      config: this.config,
      pods: this.pods,
      revoke: (node) => this.revoke(node),
    });
  }

  /**
   * Handles WebSocket upgrades on `server`: those `other` handles (the API's streaming subresources)
   * go to it, the rest here (paths other than the gateway's are refused with 404). `gate`: the
   * listener's handshake gate, whose waiting connections count as the hub being behind.
   */
  attach(server: Server | HttpsServer, other?: UpgradeHandler, gate?: { readonly waiting: number }): void {
    const backlog = server instanceof TlsServer ? new HandshakeBacklog() : undefined;
    backlog?.attach(server as TlsServer, gate && (() => gate.waiting));
    this.behind = backlog && (() => backlog.behind());
    server.on('upgrade', (req, socket, head) => {
      // Node's HTTP server takes its own error listener off an upgraded socket, and authenticating a
      // node is asynchronous: a client that resets the connection meanwhile would otherwise raise an
      // uncaught ECONNRESET in the hub. A failed socket is simply dropped.
      socket.on('error', () => socket.destroy());
      if (other?.handles(req)) other.upgrade(req, socket, head);
      else this.upgrades.upgrade(req, socket, head);
    });
  }

  /** The server listens: nodes can dial, and their grace counts from now (or later, while the hub is behind). */
  listening(): void {
    this.deps.lifecycle.accepting(this.behind);
  }

  /** Names of nodes with a live session. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  /** Closes every node session and the WebSocket server. */
  stop(): Promise<void> {
    this.routes?.stop();
    this.services.stop();
    this.pods.stop();
    for (const s of this.sessions.values()) s.close();
    this.upgrades.close();
    this.relay.close();
    return Promise.resolve();
  }

  /** Streams a pod's logs from its node (implements the API server's PodLogSource). */
  stream(namespace: string, pod: string, opts: PodLogOptions, signal: AbortSignal): AsyncIterable<string> {
    return this.requests.stream(namespace, pod, opts, signal);
  }

  /** Whether the pod's node speaks command streams (implements the API server's PodStreamSource). */
  streamsSupported(namespace: string, pod: string): boolean {
    return this.requests.streamsSupported(namespace, pod);
  }

  /** Opens a command stream on the pod's node (implements the API server's PodStreamSource). */
  openStream(namespace: string, pod: string, opts: PodStreamOptions, handlers: PodStreamHandlers): PodStream {
    return this.requests.openStream(namespace, pod, opts, handlers);
  }

  /** Opens a port-forward connection to a pod's port on its node (implements the API server's PodStreamSource). */
  openPortForward(namespace: string, pod: string, port: number, handlers: PodStreamHandlers): PodStream {
    return this.requests.openPortForward(namespace, pod, port, handlers);
  }

  /** Runs a command in a pod's container on its node (implements the API server's PodExecSource). */
  exec(namespace: string, pod: string, opts: PodExecOptions): Promise<PodExecResult> {
    return this.requests.exec(namespace, pod, opts);
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

  /** Sends a just-admitted node its welcome, its config, its whole pod set and every Service route. */
  private welcome(session: NodeSession, info: NodeInfo): void {
    // The fleet grew by this node: the others are re-paced first, and this one is welcomed at the new pace.
    this.pace.resized(this.sessions.size);
    session.welcomedAt = this.deps.clock.now(); // the clock the node lifecycle stamps transitions with
    session.send({
      type: 'welcome',
      protocol: session.protocol,
      nodeName: info.name,
      heartbeatIntervalSeconds: this.pace.welcome(session),
      // A node with a certificate uses it on the mesh: the token goes only to token nodes (plain HTTP).
      ...(session.certifiedName === undefined ? { meshToken: this.deps.meshToken } : {}),
    });
    this.revocations?.welcome(session);
    this.hubList?.welcome(session);
    // Config first: the pods of the podSync below find what they reference already there.
    for (const frame of this.config?.syncFrames(info.name) ?? []) session.sendFrame(frame);
    this.pods.sync(session, info.name, session.podPosition);
    session.podPosition = undefined; // read once: a later podResync gets the whole set
    this.services.welcome(session, session.resume);
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
    this.pace.resized(this.sessions.size);
    this.services.disconnected(node);
    this.deps.lifecycle.disconnected(node);
    this.reports.disconnected(node, (n) => this.sessions.has(n));
    this.deps.metrics?.disconnected(node);
    this.requests.failNode(node);
    this.deps.logger.info({ node }, 'node disconnected');
  }
}

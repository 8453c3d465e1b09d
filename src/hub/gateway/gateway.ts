/**
 * The node gateway: one WebSocket per node at GATEWAY_PATH. On hello the hub registers the Node and
 * sends the node its whole desired pod set and every Service route (level-triggered), then changes as
 * they happen; pod status reported by the node is written to the store. It also serves pod logs by
 * asking the hosting node. Frames to a node stay within what it decodes (`pod-frames.ts`: a big pod set
 * goes in parts, a pod that cannot fit is refused with an Event), and the Events a node records are
 * rate-limited per node (`event-limiter.ts`).
 *
 * A node name is held by one agent process at a time: a second connection for a name whose session
 * still answers a ping is refused (a copied data dir or cloned SD card must not run the pods twice);
 * a reconnect of the same process (same instance id) or a newcomer replacing a dead session gets in.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Clock, Endpoints, Logger, Node, NodeInfo, NodeToHub, Pod, PodStatus, Service } from '../../api/index.js';
import {
  GATEWAY_PATH,
  MAX_NODE_FRAME_BYTES,
  NotFoundError,
  PROTOCOL_VERSION,
  ServiceUnavailableError,
  errorMessage,
} from '../../api/index.js';
import type { NodeLifecycleController } from '../controllers/index.js';
import { jsonEqual, type EventRecorder } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { PodExecOptions, PodExecResult, PodExecSource, PodLogOptions, PodLogSource } from '../server/index.js';
import { TooManyRequestsError } from '../server/index.js';
import { NodeEventLimiter, type NodeEventRate } from './event-limiter.js';
import { ExecRequests } from './exec-requests.js';
import { LogStreams } from './log-streams.js';
import { registerNode } from './node-registration.js';
import {
  DEFAULT_HUB_FRAME_LIMITS,
  podSyncFrames,
  podUpsertFrame,
  type HubFrameLimits,
  type RefusedPod,
} from './pod-frames.js';
import { PodWriter } from './pod-writer.js';
import { buildServiceRoutes } from './routes.js';
import { CLOSE_DUPLICATE_NODE, NodeSession, type NodeSessionLimits } from './session.js';

/** Pod statuses written per turn of the event loop: a node's big batch must not hold up the others. */
const STATUS_CHUNK = 50;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Verifies a bearer token; only `kind: 'node'` principals may connect. */
export interface GatewayAuth {
  verify(token: string): { kind: string } | undefined;
}

export interface NodeGatewayDeps {
  api: ObjectAPI;
  auth: GatewayAuth;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer<Service>;
  endpoints: Informer<Endpoints>;
  lifecycle: NodeLifecycleController;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  meshToken: string;
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
}

/** Fields of a pod whose change the node must hear about (status changes come from the node itself). */
function nodeRelevant(p: Pod): unknown {
  return [
    p.metadata.uid,
    p.metadata.generation,
    p.metadata.labels,
    p.metadata.deletionTimestamp,
    p.metadata.deletionGracePeriodSeconds,
    p.spec,
  ];
}

export class NodeGateway implements PodLogSource, PodExecSource {
  // No compression: an inflated frame would cost more than its wire size (ws bounds it by maxPayload, but why spend it).
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_NODE_FRAME_BYTES,
    perMessageDeflate: false,
  });
  private readonly sessions = new Map<string, NodeSession>();
  private readonly logs = new LogStreams();
  private readonly execs = new ExecRequests();
  private serviceTimer: NodeJS.Timeout | undefined;
  private readonly podWriter: PodWriter;
  private readonly recorders = new Map<string, EventRecorder>();
  /** Hellos of one node name are admitted one at a time (the duplicate check awaits a ping). */
  private readonly admissions = new Map<string, Promise<void>>();
  private readonly gatewayEvents: EventRecorder;
  private readonly eventLimiter: NodeEventLimiter;
  private readonly frameLimits: HubFrameLimits;

  constructor(private readonly deps: NodeGatewayDeps) {
    this.podWriter = new PodWriter(deps.api, deps.pods);
    this.eventLimiter = new NodeEventLimiter(deps.logger, deps.nodeEventRate, () => deps.clock.now());
    this.frameLimits = { ...DEFAULT_HUB_FRAME_LIMITS, ...deps.nodeFrameLimits };
    this.gatewayEvents = deps.events.withComponent('node-gateway');
    deps.pods.addHandler({
      onAdd: (p) => this.podToNode(undefined, p),
      onUpdate: (o, p) => this.podToNode(o, p),
      onDelete: (p) => {
        const s = p.spec.nodeName ? this.sessions.get(p.spec.nodeName) : undefined;
        s?.send({
          type: 'podDelete',
          pod: { namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '', uid: p.metadata.uid ?? '' },
        });
      },
    });
    const svcChanged = (): void => this.scheduleServiceSync();
    deps.services.addHandler({ onAdd: svcChanged, onUpdate: svcChanged, onDelete: svcChanged });
    deps.endpoints.addHandler({ onAdd: svcChanged, onUpdate: svcChanged, onDelete: svcChanged });
  }

  /** Handles WebSocket upgrades on `server` (other upgrade paths are refused with 404). */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Names of nodes with a live session. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  async stop(): Promise<void> {
    if (this.serviceTimer) clearTimeout(this.serviceTimer);
    for (const s of this.sessions.values()) s.close();
    this.wss.close();
  }

  /** Streams a pod's logs from its node (implements the API server's PodLogSource). */
  async *stream(namespace: string, pod: string, opts: PodLogOptions, signal: AbortSignal): AsyncIterable<string> {
    const obj = this.deps.pods.get(namespace, pod);
    if (!obj) throw new NotFoundError('pods', pod);
    const nodeName = obj.spec.nodeName;
    if (!nodeName) throw new ServiceUnavailableError(`pod "${pod}" is not scheduled to a node yet`);
    const session = this.sessions.get(nodeName);
    if (!session) throw new ServiceUnavailableError(`node "${nodeName}" hosting pod "${pod}" is not connected`);
    const maxStreams = this.deps.maxLogStreamsPerNode ?? 64;
    if (this.logs.countFor(nodeName) >= maxStreams)
      throw new TooManyRequestsError(`node "${nodeName}" already serves ${maxStreams} log streams; try again later`);
    const requestId = randomUUID();
    this.logs.open(requestId, nodeName);
    session.send({ type: 'logRequest', requestId, pod: { namespace, name: pod }, ...opts });
    try {
      yield* this.logs.read(requestId, signal);
    } finally {
      if (opts.follow) session.send({ type: 'logCancel', requestId });
    }
  }

  /** Runs a command in a pod's container on its node (implements the API server's PodExecSource). */
  async exec(namespace: string, pod: string, opts: PodExecOptions): Promise<PodExecResult> {
    const obj = this.deps.pods.get(namespace, pod);
    if (!obj) throw new NotFoundError('pods', pod);
    const nodeName = obj.spec.nodeName;
    if (!nodeName) throw new ServiceUnavailableError(`pod "${pod}" is not scheduled to a node yet`);
    const session = this.sessions.get(nodeName);
    if (!session) throw new ServiceUnavailableError(`node "${nodeName}" hosting pod "${pod}" is not connected`);
    const maxExecs = this.deps.maxExecsPerNode ?? 32;
    if (this.execs.countFor(nodeName) >= maxExecs)
      throw new TooManyRequestsError(`node "${nodeName}" already runs ${maxExecs} exec requests; try again later`);
    const requestId = randomUUID();
    // The node enforces the command's timeout; the hub waits a little longer for its answer.
    const answer = this.execs.wait(requestId, nodeName, opts.timeoutSeconds * 1000 + 5000);
    session.send({
      type: 'execRequest',
      requestId,
      pod: { namespace, name: pod },
      command: opts.command,
      timeoutSeconds: opts.timeoutSeconds,
      ...(opts.container ? { container: opts.container } : {}),
    });
    return answer;
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
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (this.deps.auth.verify(token)?.kind !== 'node') return reject(401, 'Unauthorized');
    const remote = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const handlers = {
        onMessage: (s: NodeSession, m: NodeToHub) => this.onMessage(s, m),
        onClose: (s: NodeSession) => this.onClose(s),
      };
      const session = new NodeSession(ws, handlers, this.deps.logger, this.deps.sessionLimits, remote);
      const timer = setTimeout(() => {
        if (!session.helloReceived) session.fail('no hello received in time');
      }, this.deps.helloTimeoutMs ?? 10_000);
      timer.unref();
    });
  }

  private async onMessage(session: NodeSession, msg: NodeToHub): Promise<void> {
    if (msg.type === 'hello') return this.hello(session, msg);
    const node = session.nodeName;
    if (!node) {
      if (!session.helloReceived) session.violation(`"${msg.type}" before "hello": say hello first`);
      return;
    }
    switch (msg.type) {
      case 'heartbeat':
        this.deps.lifecycle.heartbeat(node);
        return;
      case 'podStatus':
        this.deps.lifecycle.heartbeat(node);
        for (let i = 0; i < msg.pods.length; i += STATUS_CHUNK) {
          if (i > 0) await yieldToLoop();
          await Promise.all(
            msg.pods.slice(i, i + STATUS_CHUNK).map((p) => this.podWriter.writeStatus(node, p.pod, p.status)),
          );
        }
        return;
      case 'podGone':
        for (let i = 0; i < msg.pods.length; i += STATUS_CHUNK) {
          if (i > 0) await yieldToLoop();
          await Promise.all(msg.pods.slice(i, i + STATUS_CHUNK).map((p) => this.podWriter.finalize(node, p)));
        }
        return;
      case 'logChunk':
        // A reader that does not keep up ends its stream; the node is told to stop sending it.
        if (this.logs.push(msg.requestId, node, msg.data, msg.done ?? false, msg.error) === 'overflow')
          session.send({ type: 'logCancel', requestId: msg.requestId });
        return;
      case 'execResult':
        this.execs.answer(msg.requestId, node, msg);
        return;
      case 'error':
        this.deps.logger.warn({ node, message: msg.message }, 'node reported an error');
        return;
      case 'event': {
        // Only about the node's own pods: a node cannot write Events about anything else.
        const pod = this.deps.pods.get(msg.pod.namespace, msg.pod.name);
        if (!pod || pod.metadata.uid !== msg.pod.uid || pod.spec.nodeName !== node) return;
        // Each distinct message is a new Event row kept for the event TTL: a node gets a rate, not the store.
        if (!this.eventLimiter.allow(node)) return;
        await this.nodeEvents(node).record(pod, msg.eventType, msg.reason, msg.message);
        return;
      }
    }
  }

  private async hello(session: NodeSession, msg: Extract<NodeToHub, { type: 'hello' }>): Promise<void> {
    if (session.helloReceived) return session.fail('hello sent twice');
    session.helloReceived = true;
    if (msg.protocol !== PROTOCOL_VERSION)
      return session.fail(`protocol version ${msg.protocol} is not supported (hub speaks ${PROTOCOL_VERSION})`);
    session.instanceId = msg.instanceId;
    session.reportedAddress = msg.node.address;
    const name = msg.node.name;
    const admitted = (this.admissions.get(name) ?? Promise.resolve()).then(() => this.admit(session, msg.node));
    const tail = admitted.catch(() => undefined);
    this.admissions.set(name, tail);
    void tail.then(() => {
      if (this.admissions.get(name) === tail) this.admissions.delete(name);
    });
    await admitted;
  }

  /** Admits a node that said hello, unless another live agent holds its name. */
  private async admit(session: NodeSession, info: NodeInfo): Promise<void> {
    if (!session.open) return;
    const previous = this.sessions.get(info.name);
    if (previous && previous !== session) {
      const sameProcess = previous.instanceId !== undefined && previous.instanceId === session.instanceId;
      // Checked before registering, so a refused newcomer never overwrites the Node's addresses.
      if (!sameProcess && (await previous.probe(this.deps.duplicateCheckTimeoutMs ?? 3000)))
        return this.refuseDuplicate(session, previous, info);
      // The same agent redialing after a blip, or a session that no longer answers: the newcomer takes over.
      this.deps.logger.info({ node: info.name, sameProcess }, 'replacing a stale session of the node');
      previous.terminate();
      if (!session.open) return;
    }
    let node: Node;
    try {
      node = await registerNode(this.deps.api, this.deps.nodes, info);
    } catch (err) {
      return session.fail(`node registration refused: ${errorMessage(err)}`);
    }
    if (!session.open) return;
    session.nodeName = info.name;
    this.sessions.set(info.name, session);
    node = await this.deps.lifecycle.markReady(node);
    this.deps.logger.info({ node: info.name, address: info.address }, 'node connected');
    session.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      nodeName: info.name,
      heartbeatIntervalSeconds: this.deps.heartbeatIntervalSeconds,
      meshToken: this.deps.meshToken,
    });
    // The whole set, split into parts when it would not fit one frame (a node closes on a frame past its bound).
    const sync = podSyncFrames(
      this.deps.pods.list((p) => p.spec.nodeName === info.name),
      this.frameLimits,
    );
    for (const frame of sync.frames) session.sendFrame(frame);
    if (sync.frames.length > 1)
      this.deps.logger.info(
        { node: info.name, frames: sync.frames.length },
        'pod set too big for one frame; sent in parts',
      );
    for (const r of sync.refused) this.refusePod(info.name, r);
    session.send({
      type: 'serviceSync',
      services: buildServiceRoutes(this.deps.services, this.deps.endpoints, this.deps.nodes),
    });
  }

  private refuseDuplicate(session: NodeSession, previous: NodeSession, info: NodeInfo): void {
    const where = `${previous.reportedAddress ?? 'unknown address'} (peer ${previous.remoteAddress})`;
    const message = `node name ${info.name} is already connected from ${where}; is this a copy of another node's data dir?`;
    this.deps.logger.warn(
      {
        node: info.name,
        connectedFrom: previous.remoteAddress,
        refusedFrom: session.remoteAddress,
        refusedAddress: info.address,
      },
      'refused a second connection for a connected node name (DuplicateNodeRejected)',
    );
    const node = this.deps.nodes.get(undefined, info.name);
    if (node) {
      const detail = `${message} Refused the connection from ${session.remoteAddress} (reported address ${info.address}).`;
      void this.gatewayEvents.record(node, 'Warning', 'DuplicateNodeRejected', detail);
    }
    session.fail(message, CLOSE_DUPLICATE_NODE, 'DuplicateNode');
  }

  /** A pod the node cannot be sent: it does not run there, and its Event and a log line say why. */
  private refusePod(node: string, r: RefusedPod): void {
    const ref = `${r.pod.metadata.namespace ?? ''}/${r.pod.metadata.name ?? ''}`;
    this.deps.logger.warn({ node, pod: ref, reason: r.reason }, r.message);
    void this.gatewayEvents.record(r.pod, 'Warning', r.reason, `${r.message} (node ${node})`);
  }

  /** The event recorder speaking for one node (`source.component: edge-node`, `source.host: <node>`). */
  private nodeEvents(node: string): EventRecorder {
    let rec = this.recorders.get(node);
    if (!rec) {
      rec = this.deps.events.forSource('edge-node', node);
      this.recorders.set(node, rec);
    }
    return rec;
  }

  private onClose(session: NodeSession): void {
    const node = session.nodeName;
    if (!node || this.sessions.get(node) !== session) return;
    this.sessions.delete(node);
    this.deps.lifecycle.disconnected(node);
    // Its recorder's cache of recent Events goes with it (a reconnect starts a fresh one).
    this.recorders.delete(node);
    this.eventLimiter.disconnected(node, (n) => this.sessions.has(n));
    this.logs.failNode(node);
    this.execs.failNode(node);
    this.deps.logger.info({ node }, 'node disconnected');
  }

  private podToNode(old: Pod | undefined, pod: Pod): void {
    const node = pod.spec.nodeName;
    if (!node) return;
    if (old && old.spec.nodeName === node && jsonEqual(nodeRelevant(old), nodeRelevant(pod))) return;
    const session = this.sessions.get(node);
    if (!session) return;
    const upsert = podUpsertFrame(pod, this.frameLimits);
    if ('frame' in upsert) return session.sendFrame(upsert.frame);
    // As in a sync, a pod the node cannot be sent is not in its set: an older copy it runs stops.
    this.refusePod(node, upsert.refused);
    session.send({
      type: 'podDelete',
      pod: { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
    });
  }

  private scheduleServiceSync(): void {
    if (this.serviceTimer) return;
    // Coalesce bursts (a rollout changes many endpoints at once) into one push.
    this.serviceTimer = setTimeout(() => {
      this.serviceTimer = undefined;
      const services = buildServiceRoutes(this.deps.services, this.deps.endpoints, this.deps.nodes);
      for (const s of this.sessions.values()) s.send({ type: 'serviceSync', services });
    }, 20);
  }
}

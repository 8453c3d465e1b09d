/**
 * The node gateway: one WebSocket per node at GATEWAY_PATH. On hello the hub registers the Node and
 * sends the node its whole desired pod set and every Service route (level-triggered), then changes as
 * they happen; pod status reported by the node is written to the store. It also serves pod logs by
 * asking the hosting node.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Clock, Endpoints, Logger, Node, NodeInfo, NodeToHub, Pod, PodStatus, Service } from '../../api/index.js';
import { ConflictError, GATEWAY_PATH, NotFoundError, PROTOCOL_VERSION, ServiceUnavailableError, errorMessage, typeByKind } from '../../api/index.js';
import { jsonEqual, type EventRecorder, type NodeLifecycleController } from '../controllers/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { PodExecOptions, PodExecResult, PodExecSource, PodLogOptions, PodLogSource } from '../server/index.js';
import { ExecRequests } from './exec-requests.js';
import { LogStreams } from './log-streams.js';
import { registerNode } from './node-registration.js';
import { PodWriter } from './pod-writer.js';
import { buildServiceRoutes } from './routes.js';
import { NodeSession } from './session.js';

const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;

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
}

/** Fields of a pod whose change the node must hear about (status changes come from the node itself). */
function nodeRelevant(p: Pod): unknown {
  return [p.metadata.uid, p.metadata.generation, p.metadata.labels, p.metadata.deletionTimestamp, p.metadata.deletionGracePeriodSeconds, p.spec];
}

export class NodeGateway implements PodLogSource, PodExecSource {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  private readonly sessions = new Map<string, NodeSession>();
  private readonly logs = new LogStreams();
  private readonly execs = new ExecRequests();
  private serviceTimer: NodeJS.Timeout | undefined;
  private readonly podWriter: PodWriter;
  private readonly recorders = new Map<string, EventRecorder>();

  constructor(private readonly deps: NodeGatewayDeps) {
    this.podWriter = new PodWriter(deps.api, deps.pods);
    deps.pods.addHandler({
      onAdd: (p) => this.podToNode(undefined, p),
      onUpdate: (o, p) => this.podToNode(o, p),
      onDelete: (p) => {
        const s = p.spec.nodeName ? this.sessions.get(p.spec.nodeName) : undefined;
        s?.send({ type: 'podDelete', pod: { namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '', uid: p.metadata.uid ?? '' } });
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
    const requestId = randomUUID();
    // The node enforces the command's timeout; the hub waits a little longer for its answer.
    const answer = this.execs.wait(requestId, nodeName, opts.timeoutSeconds * 1000 + 5000);
    session.send({ type: 'execRequest', requestId, pod: { namespace, name: pod }, command: opts.command, timeoutSeconds: opts.timeoutSeconds, ...(opts.container ? { container: opts.container } : {}) });
    return answer;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    const reject = (code: number, text: string): void => {
      socket.write(`HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
      socket.destroy();
    };
    if (path !== GATEWAY_PATH) return reject(404, 'Not Found');
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (this.deps.auth.verify(token)?.kind !== 'node') return reject(401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new NodeSession(ws, { onMessage: (s, m) => this.onMessage(s, m), onClose: (s) => this.onClose(s) }, this.deps.logger, 10_000);
      const timer = setTimeout(() => {
        if (!session.nodeName) session.fail('no hello received in time');
      }, this.deps.helloTimeoutMs ?? 10_000);
      timer.unref();
    });
  }

  private async onMessage(session: NodeSession, msg: NodeToHub): Promise<void> {
    if (msg.type === 'hello') return this.hello(session, msg.protocol, msg.node);
    const node = session.nodeName;
    if (!node) {
      session.send({ type: 'error', message: `"${msg.type}" before "hello": say hello first` });
      return;
    }
    switch (msg.type) {
      case 'heartbeat':
        this.deps.lifecycle.heartbeat(node);
        return;
      case 'podStatus':
        this.deps.lifecycle.heartbeat(node);
        await Promise.all(msg.pods.map((p) => this.podWriter.writeStatus(node, p.pod, p.status)));
        return;
      case 'podGone':
        await Promise.all(msg.pods.map((p) => this.podWriter.finalize(node, p)));
        return;
      case 'logChunk':
        this.logs.push(msg.requestId, msg.data, msg.done ?? false, msg.error);
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
        await this.nodeEvents(node).record(pod, msg.eventType, msg.reason, msg.message);
        return;
      }
    }
  }

  private async hello(session: NodeSession, protocol: number, info: NodeInfo): Promise<void> {
    if (protocol !== PROTOCOL_VERSION) return session.fail(`protocol version ${protocol} is not supported (hub speaks ${PROTOCOL_VERSION})`);
    if (session.nodeName) return session.fail('hello sent twice');
    let node: Node;
    try {
      node = await registerNode(this.deps.api, this.deps.nodes, info);
    } catch (err) {
      return session.fail(`node registration refused: ${errorMessage(err)}`);
    }
    const previous = this.sessions.get(info.name);
    session.nodeName = info.name;
    this.sessions.set(info.name, session);
    previous?.fail('replaced by a newer connection of the same node', 4000);
    node = await this.deps.lifecycle.markReady(node);
    this.deps.logger.info({ node: info.name, address: info.address }, 'node connected');
    session.send({ type: 'welcome', protocol: PROTOCOL_VERSION, nodeName: info.name, heartbeatIntervalSeconds: this.deps.heartbeatIntervalSeconds, meshToken: this.deps.meshToken });
    session.send({ type: 'podSync', pods: this.deps.pods.list((p) => p.spec.nodeName === info.name) });
    session.send({ type: 'serviceSync', services: buildServiceRoutes(this.deps.services, this.deps.endpoints, this.deps.nodes) });
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
    this.logs.failNode(node);
    this.execs.failNode(node);
    this.deps.logger.info({ node }, 'node disconnected');
  }

  private podToNode(old: Pod | undefined, pod: Pod): void {
    const node = pod.spec.nodeName;
    if (!node) return;
    if (old && old.spec.nodeName === node && jsonEqual(nodeRelevant(old), nodeRelevant(pod))) return;
    this.sessions.get(node)?.send({ type: 'podUpsert', pod });
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

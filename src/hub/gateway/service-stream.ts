/**
 * The Service stream: what each node is sent of Services and their endpoints.
 *
 * - Per-node relevance: a node holds the NodePort Services (it serves them) and the Services of the
 *   namespaces its pods need (`node-interest.ts`). Nothing else reaches it.
 * - Encoded once: a change of one Service becomes a `ServiceTopic` whose frames (the endpoints patch
 *   of a readiness flip, a few hundred bytes; or the whole route, in parts of bounded size) are
 *   encoded once and sent, the same buffers, to every node concerned. Changes are coalesced over
 *   `coalesceMs`, except a Service's first ready endpoint: it is sent at once, since requests held
 *   for a Service woken from zero wait for nothing else.
 * - The current topics and the indexes they are found by live in `service-catalog.ts`.
 * - State, not queues: per node the stream keeps which revision of each Service it holds and which
 *   Services it is behind on (`service-peers.ts`; the acknowledgement windows: `service-acks.ts`).
 *   The fan-out (`service-pump.ts`) serves nodes in short turns, skips a node whose socket is full,
 *   and when it comes back to it sends what brings it from the revision it holds to the newest: the changes since (when the topic's history still has them and they are
 *   cheaper) or the whole route. A slow node costs the hub a set of keys, never a backlog of frames.
 * - Level-triggered safety: every Service carries the stream revision of its last change; a patch
 *   names the revision it applies to, so a node that missed one asks for a `resync` (a whole set).
 * - Resumption: a node reconnecting to the same hub process (`epoch`) with the revision it reached
 *   keeps the Services unchanged since, and is sent the changes of the others since the revision it
 *   held them at (or their whole routes).
 * - Per-node writes (a turn of the fan-out; a Service brought from what the node holds to the newest)
 *   are `service-delivery.ts`'s; what the stream is built with, `service-stream-deps.ts`.
 * - Upgrade skew: a node older than a route field it would refuse gets the route without it
 *   (`route-dialects.ts`).
 * - Protocol-1 nodes get the whole `serviceSync` of every Service on every change, encoded once, the
 *   newest one when their socket has room.
 */
import { randomUUID } from 'node:crypto';
import type { Node, ServiceKey } from '../../api/index.js';

export type { ServiceStreamDeps, StreamSession } from './service-stream-deps.js';
import { encodeFrame, errorMessage } from '../../api/index.js';
import type { InterestChange } from './node-interest.js';
import { serviceRoute, zoneOf } from './routes.js';
import { SERVICE_CHUNK_ENDPOINTS, assembleServiceSet, encodeRemovedDelta } from './service-frames.js';
import { AckWindows } from './service-acks.js';
import { ServiceCatalog, serviceKey as keyOf } from './service-catalog.js';
import { ServiceDelivery } from './service-delivery.js';
import { ServicePeers } from './service-peers.js';
import type { ServiceStreamDeps, StreamSession } from './service-stream-deps.js';
import { DEFAULT_PUMP_LIMITS, ServicePump } from './service-pump.js';
import { ServiceTopic } from './service-topic.js';
import { dialectOf, routeIn } from './route-dialects.js';

/** Which Services each node holds, and the frames that keep them current. */
export class ServiceStream {
  /** This hub process's stream: revisions of another process mean nothing here. */
  readonly epoch = randomUUID();
  #revision = 0;
  readonly #next = (): number => ++this.#revision;
  readonly #chunk: number;
  /** The current topics and their indexes. */
  readonly #catalog: ServiceCatalog;
  /** Removal frames of deleted Services, while some node still holds them. */
  readonly #tombstones = new Map<string, Buffer>();
  readonly #dirty = new Set<string>();
  readonly #pump: ServicePump;
  /** What each node holds and is owed. */
  readonly #peers: ServicePeers;
  /** Per node and fleet-wide, bytes the fan-out sent that no pong has acknowledged yet. */
  readonly #acks: AckWindows;
  /** Writes each node what it is owed. */
  readonly #delivery: ServiceDelivery;
  /** Cancels the pending coalescing timer. */
  #timer: (() => void) | undefined;
  /** The protocol-1 `serviceSync` of the current set (invalidated on change). */
  #legacy: Buffer | undefined;

  constructor(private readonly deps: ServiceStreamDeps) {
    this.#chunk = Math.max(1, deps.chunkEndpoints ?? SERVICE_CHUNK_ENDPOINTS);
    this.#catalog = new ServiceCatalog(deps.interest);
    this.#pump = new ServicePump(
      (node, budget) => this.#delivery.serve(node, budget),
      { ...DEFAULT_PUMP_LIMITS, ...deps.pump },
      (node, err) => deps.logger.warn({ node, err: errorMessage(err) }, 'could not send a node its Services'),
    );
    this.#peers = new ServicePeers(this.#pump);
    this.#acks = new AckWindows(this.#pump);
    this.#delivery = new ServiceDelivery({
      catalog: this.#catalog,
      peers: this.#peers,
      acks: this.#acks,
      pump: this.#pump,
      tombstones: this.#tombstones,
      sessionOf: (node) => deps.sessionOf(node),
      legacyFrame: () => this.#legacyFrame(),
    });
  }

  /** The stream's current revision. */
  get revision(): number {
    return this.#revision;
  }

  /** Nodes still owed frames (a fleet-wide change is fully sent when this is 0). */
  get pending(): number {
    return this.#pump.waiting;
  }

  /** A Service or its Endpoints changed: sent after the coalescing window, or at once if it is its first ready endpoint. */
  serviceChanged(namespace: string, name: string): void {
    const key = keyOf(namespace, name);
    this.#dirty.add(key);
    if (this.#firstReady(key, namespace, name)) this.flush();
    else this.#schedule();
  }

  /** Something every Service of `namespace` may read changed (their scale-from-zero flag). */
  namespaceChanged(namespace: string): void {
    for (const svc of this.deps.services.list((s) => (s.metadata.namespace ?? 'default') === namespace))
      this.#dirty.add(keyOf(namespace, svc.metadata.name ?? ''));
    if (this.#dirty.size > 0) this.#schedule();
  }

  /** A Node changed: the routes with endpoints there change when its address, mesh port or zone did. */
  nodeChanged(old: Node | undefined, node: Node): void {
    const port = (n: Node | undefined): unknown => n?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (old && port(old) === port(node) && zoneOf(old) === zoneOf(node)) return;
    for (const key of this.#catalog.onNode(node.metadata.name ?? '')) this.#dirty.add(key);
    if (this.#dirty.size > 0) this.#schedule();
  }

  /**
   * Nodes started or stopped needing a namespace's Services: they are sent them, or told to drop them,
   * at once (the pod that caused it is sent right after, and its first call must find them).
   */
  interestChanged(changes: readonly InterestChange[]): void {
    for (const { node, namespace, gained } of changes) {
      const peer = this.#peers.get(node);
      const session = peer && this.deps.sessionOf(node);
      if (!peer || !session) continue;
      const keys = namespace === '*' ? this.#catalog.keys() : this.#catalog.inNamespace(namespace);
      for (const key of keys) {
        const topic = this.#catalog.get(key);
        if (!topic || topic.nodePort || this.#catalog.isWide(key)) continue;
        const holds = peer.held.has(key) || peer.sending.has(key);
        if (gained !== holds) this.#delivery.bring(node, peer, session, key, Infinity, true);
      }
    }
  }

  /** Sends a just-admitted session its Services: a whole set, or (resuming) what changed since. */
  welcome(session: StreamSession, resume?: { epoch: string; revision: number }): void {
    const node = session.nodeName;
    if (!node) return;
    this.flush();
    this.disconnected(node);
    if (session.protocol < 2) return session.sendFrame(this.#legacyFrame());
    const peer = this.#peers.add(node);
    const from = resume?.epoch === this.epoch && resume.revision <= this.#revision ? resume.revision : undefined;
    const dialect = dialectOf(session.protocol);
    const entries: Buffer[] = [];
    const keep: Array<ServiceKey & { rev: number }> = [];
    for (const key of this.#catalog.wantedBy(node)) {
      const topic = this.#catalog.get(key);
      if (!topic) continue;
      this.#peers.hold(node, key);
      const had = from === undefined ? undefined : topic.revAsOf(from);
      if (had !== undefined && (had === topic.rev || topic.chainFrom(had, dialect))) {
        // Kept at the revision it had; the changes since follow (the node checks it holds that revision).
        keep.push({ namespace: topic.namespace, name: topic.name, rev: had });
        peer.held.set(key, had);
        if (had !== topic.rev) peer.dirty.add(key);
        continue;
      }
      entries.push(topic.entry(dialect));
      if (topic.parts(dialect).length > 1) {
        peer.sending.set(key, { rev: topic.rev, next: 1 });
        peer.dirty.add(key);
      } else peer.held.set(key, topic.rev);
    }
    session.sendFrame(assembleServiceSet(this.epoch, this.#revision, entries, keep));
    if (peer.dirty.size > 0) this.#pump.wake(node);
  }

  /** The node asked for a whole set (it missed a delta). */
  resync(session: StreamSession): void {
    this.welcome(session);
  }

  /** The node's session closed: it holds nothing the stream must keep current. */
  disconnected(node: string): void {
    for (const key of this.#peers.forget(node)) this.#tombstones.delete(key);
    this.#acks.forget(node);
  }

  /** Brings the topics up to date and marks the nodes they concern (called by the coalescing timer; a welcome flushes first). */
  flush(): void {
    this.#timer?.();
    this.#timer = undefined;
    if (this.#dirty.size === 0) return;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    let changed = false;
    for (const key of keys) changed = this.#update(key) || changed;
    if (!changed) return;
    this.#legacy = undefined;
    for (const s of this.deps.sessions())
      if (s.protocol < 2 && s.nodeName !== undefined) this.#peers.oweLegacy(s.nodeName);
  }

  /** Stops the coalescing timer and the fan-out. */
  stop(): void {
    this.#timer?.();
    this.#timer = undefined;
    this.#pump.stop();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = (this.deps.after ?? startTimer)(this.deps.coalesceMs ?? 50, () => this.flush());
  }

  /**
   * Whether the Endpoints of a Service whose nodes hold no ready endpoint now list one. Nodes may be
   * holding its requests (a wake from zero): waiting out the coalescing window would add its length
   * to every such request.
   */
  #firstReady(key: string, namespace: string, name: string): boolean {
    const topic = this.#catalog.get(key);
    if (!topic || topic.route.endpoints.some((e) => e.ready)) return false;
    const subsets = this.deps.endpoints.get(namespace, name)?.subsets ?? [];
    return subsets.some((s) => (s.addresses?.length ?? 0) > 0);
  }

  /** Brings one Service's topic up to date and marks the nodes it concerns; false when nothing changed. */
  #update(key: string): boolean {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const svc = this.deps.services.get(namespace, key.slice(slash + 1));
    const routing = this.deps.routing;
    const extra = svc ? undefined : routing?.extra(namespace, key.slice(slash + 1));
    const old = this.#catalog.get(key);
    const wide = routing?.everywhere(key) === true;
    const widened = this.#catalog.setWide(key, wide);
    if (!svc && !extra) {
      if (!old) return false;
      this.#catalog.remove(old, true);
      if (this.#peers.isHeld(key)) this.#tombstones.set(key, encodeRemovedDelta(old, this.#next()));
      this.#peers.owe(this.#peers.holdersOf(key), key);
      return true;
    }
    const route = svc ? (routing?.decorate(serviceRoute(svc, this.deps)) ?? serviceRoute(svc, this.deps)) : extra!;
    const reshaped = !old?.sameSpec(route);
    const topic = old && !reshaped ? old.follow(route, this.#next) : ServiceTopic.whole(route, this.#next, this.#chunk);
    if (topic === old && !widened) return false;
    if (old) this.#catalog.remove(old);
    this.#catalog.put(key, topic);
    this.#tombstones.delete(key);
    // Holders get the change (or a removal, if they no longer need it: a NodePort turned ClusterIP);
    // nodes that need a new or reshaped Service and do not hold it get it whole.
    this.#peers.owe(this.#peers.holdersOf(key), key);
    if (reshaped || widened) {
      const nodes = topic.nodePort || wide ? this.#peers.nodes() : this.deps.interest.nodesFor(namespace);
      this.#peers.owe(nodes, key);
    }
    return true;
  }

  #legacyFrame(): Buffer {
    return (this.#legacy ??= encodeFrame({
      type: 'serviceSync',
      services: this.#catalog.routes().map((r) => routeIn(r, dialectOf(1))),
    }));
  }
}

/** The default coalescing timer. */
function startTimer(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

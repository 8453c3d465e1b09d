/**
 * The Service stream: what each node is sent of Services and their endpoints.
 *
 * - Per-node relevance: a node holds the NodePort Services (it serves them) and the Services of the
 *   namespaces its pods need (`node-interest.ts`). Nothing else reaches it.
 * - Deltas: after a node's first `serviceSet`, a change of one Service is one `serviceDelta` (an
 *   endpoints patch of a few hundred bytes for a readiness flip), encoded once and sent, the same
 *   buffer, to every node holding that Service. Changes are coalesced over `coalesceMs`.
 * - Level-triggered safety: every Service carries the stream revision of its last change; a patch
 *   names the revision it applies to, so a node that missed one asks for a `resync` (a whole set).
 * - Resumption: a node reconnecting to the same hub process (`epoch`) with the revision it reached is
 *   sent only the Services changed since; the rest it is told to keep.
 * - Protocol-1 nodes get the whole `serviceSync` of every Service on every change, encoded once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, Node, RouteEndpoint, Service, ServiceKey, ServiceRoute } from '../../api/index.js';
import { encodeFrame } from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { InterestChange, NodeInterest } from './node-interest.js';
import { serviceRoute, zoneOf, type RouteSources } from './routes.js';
import {
  assembleServiceSet,
  encodeEntry,
  encodePatchDelta,
  encodeRemovedDelta,
  encodeRouteDelta,
} from './service-frames.js';

/** What the stream needs of a node session. */
export interface StreamSession {
  readonly nodeName: string | undefined;
  /** The protocol version the session speaks. */
  readonly protocol: number;
  sendFrame(frame: Buffer): void;
}

export interface ServiceStreamDeps extends RouteSources {
  /** Whether nodes hold a Service's requests while it has no ready endpoint (scale from zero). */
  wakeable?: (svc: Service) => boolean;
  interest: NodeInterest;
  /** The admitted session of a node. */
  sessionOf(node: string): StreamSession | undefined;
  /** Every admitted session. */
  sessions(): Iterable<StreamSession>;
  logger: Logger;
  /** How long changes are gathered before they are sent (default 50 ms). */
  coalesceMs?: number;
}

interface Topic extends ServiceKey {
  rev: number;
  route: ServiceRoute;
  byUid: Map<string, RouteEndpoint>;
  nodePort: boolean;
  /** Cached encodings of this revision (`{rev, route}` and the whole-route delta). */
  entry?: Buffer;
  full?: Buffer;
}

const keyOf = (ns: string, name: string): string => `${ns}/${name}`;

/** Which Services each node holds, and the frames that keep them current. */
export class ServiceStream {
  /** This hub process's stream: revisions of another process mean nothing here. */
  readonly epoch = randomUUID();
  #revision = 0;
  readonly #topics = new Map<string, Topic>();
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #nodePort = new Set<string>();
  /** node name → keys of Services with an endpoint there (its address, mesh port and zone are in them). */
  readonly #byEndpointNode = new Map<string, Set<string>>();
  /** node → keys it holds (every protocol-2 node sent its set), and key → nodes holding it. */
  readonly #held = new Map<string, Set<string>>();
  readonly #holders = new Map<string, Set<string>>();
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** The protocol-1 `serviceSync` of the current set (invalidated on change). */
  #legacy: Buffer | undefined;

  constructor(private readonly deps: ServiceStreamDeps) {}

  /** The stream's current revision. */
  get revision(): number {
    return this.#revision;
  }

  /** A Service or its Endpoints changed. */
  serviceChanged(namespace: string, name: string): void {
    this.#dirty.add(keyOf(namespace, name));
    this.#schedule();
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
    for (const key of this.#byEndpointNode.get(node.metadata.name ?? '') ?? []) this.#dirty.add(key);
    if (this.#dirty.size > 0) this.#schedule();
  }

  /** Nodes started or stopped needing a namespace's Services: they are sent them, or told to drop them. */
  interestChanged(changes: readonly InterestChange[]): void {
    for (const { node, namespace, gained } of changes) {
      const session = this.#v2(node);
      if (!session) continue;
      const keys = namespace === '*' ? this.#topics.keys() : (this.#byNamespace.get(namespace) ?? []);
      for (const key of keys) {
        const topic = this.#topics.get(key);
        if (!topic || topic.nodePort) continue;
        const holds = this.#held.get(node)?.has(key) ?? false;
        if (gained && !holds) this.#sendWhole(session, node, topic);
        else if (!gained && holds && !this.deps.interest.wants(node, topic.namespace)) {
          this.#release(node, key);
          session.sendFrame(encodeRemovedDelta(topic, topic.rev));
        }
      }
    }
  }

  /** Sends a just-admitted session its Services: a whole set, or (resuming) what changed since. */
  welcome(session: StreamSession, resume?: { epoch: string; revision: number }): void {
    const node = session.nodeName;
    if (!node) return;
    this.flush();
    if (session.protocol < 2) return session.sendFrame(this.#legacyFrame());
    this.disconnected(node);
    this.#held.set(node, new Set());
    const from = resume?.epoch === this.epoch && resume.revision <= this.#revision ? resume.revision : undefined;
    const entries: Buffer[] = [];
    const keep: Array<ServiceKey & { rev: number }> = [];
    for (const key of this.#wantedBy(node)) {
      const topic = this.#topics.get(key);
      if (!topic) continue;
      this.#hold(node, key);
      if (from !== undefined && topic.rev <= from)
        keep.push({ namespace: topic.namespace, name: topic.name, rev: topic.rev });
      else entries.push((topic.entry ??= encodeEntry(topic.rev, topic.route)));
    }
    session.sendFrame(assembleServiceSet(this.epoch, this.#revision, entries, keep));
  }

  /** The node asked for a whole set (it missed a delta). */
  resync(session: StreamSession): void {
    this.welcome(session);
  }

  /** The node's session closed: it holds nothing the stream must keep current. */
  disconnected(node: string): void {
    for (const key of this.#held.get(node) ?? []) this.#holders.get(key)?.delete(node);
    this.#held.delete(node);
  }

  /** Sends what changed since the last flush (called by the coalescing timer; a welcome flushes first). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    let changed = false;
    for (const key of keys) changed = this.#update(key) || changed;
    if (!changed) return;
    this.#legacy = undefined;
    let legacy: Buffer | undefined;
    for (const s of this.deps.sessions()) if (s.protocol < 2) s.sendFrame((legacy ??= this.#legacyFrame()));
  }

  /** Stops the coalescing timer. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.flush(), this.deps.coalesceMs ?? 50);
  }

  /** Brings one Service's topic up to date and sends its delta; false when nothing changed. */
  #update(key: string): boolean {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const svc = this.deps.services.get(namespace, name);
    const old = this.#topics.get(key);
    if (!svc) {
      if (!old) return false;
      this.#drop(old);
      const frame = encodeRemovedDelta(old, ++this.#revision);
      for (const node of [...(this.#holders.get(key) ?? [])]) {
        this.#release(node, key);
        this.deps.sessionOf(node)?.sendFrame(frame);
      }
      return true;
    }
    const route = serviceRoute(svc, this.deps);
    if (old && sameSpec(old.route, route)) return this.#patch(old, route);
    const topic = this.#set(key, route);
    // A Service new to the stream, or whose ports or type changed: whole routes to every node that
    // needs it, a removal to nodes that held it and no longer need it (a NodePort turned ClusterIP).
    for (const node of [...(this.#holders.get(key) ?? [])])
      if (!this.#wants(node, topic)) {
        this.#release(node, key);
        this.deps.sessionOf(node)?.sendFrame(encodeRemovedDelta(topic, topic.rev));
      }
    const nodes = topic.nodePort ? [...this.#v2Nodes()] : this.deps.interest.nodesFor(namespace);
    for (const node of nodes) {
      const session = this.#v2(node);
      if (session) this.#sendWhole(session, node, topic);
    }
    return true;
  }

  /** The endpoints of a Service changed (or not): one patch to every node holding it. */
  #patch(old: Topic, route: ServiceRoute): boolean {
    const upsert: RouteEndpoint[] = [];
    const byUid = new Map<string, RouteEndpoint>();
    for (const e of route.endpoints) {
      byUid.set(e.pod.uid, e);
      const before = old.byUid.get(e.pod.uid);
      if (!before || !jsonEqual(before, e)) upsert.push(e);
    }
    const remove = [...old.byUid.keys()].filter((uid) => !byUid.has(uid));
    if (upsert.length === 0 && remove.length === 0) return false;
    const prev = old.rev;
    const topic = this.#set(keyOf(old.namespace, old.name), route);
    const holders = this.#holders.get(keyOf(old.namespace, old.name));
    if (!holders || holders.size === 0) return true;
    const frame = encodePatchDelta(old, topic.rev, prev, upsert, remove);
    for (const node of holders) this.deps.sessionOf(node)?.sendFrame(frame);
    return true;
  }

  /** Stores a route as the topic's next revision and keeps the indexes. */
  #set(key: string, route: ServiceRoute): Topic {
    const old = this.#topics.get(key);
    if (old) this.#unindex(old);
    const topic: Topic = {
      namespace: route.namespace,
      name: route.name,
      rev: ++this.#revision,
      route,
      byUid: new Map(route.endpoints.map((e) => [e.pod.uid, e])),
      nodePort: route.ports.some((p) => p.nodePort !== undefined),
    };
    this.#topics.set(key, topic);
    addTo(this.#byNamespace, topic.namespace, key);
    if (topic.nodePort) this.#nodePort.add(key);
    for (const e of route.endpoints) addTo(this.#byEndpointNode, e.nodeName, key);
    return topic;
  }

  #drop(topic: Topic): void {
    this.#unindex(topic);
    this.#topics.delete(keyOf(topic.namespace, topic.name));
  }

  #unindex(topic: Topic): void {
    const key = keyOf(topic.namespace, topic.name);
    removeFrom(this.#byNamespace, topic.namespace, key);
    this.#nodePort.delete(key);
    for (const e of topic.route.endpoints) removeFrom(this.#byEndpointNode, e.nodeName, key);
  }

  #sendWhole(session: StreamSession, node: string, topic: Topic): void {
    this.#hold(node, keyOf(topic.namespace, topic.name));
    session.sendFrame((topic.full ??= encodeRouteDelta(topic.rev, topic.route)));
  }

  #hold(node: string, key: string): void {
    addTo(this.#held, node, key);
    addTo(this.#holders, key, node);
  }

  #release(node: string, key: string): void {
    this.#held.get(node)?.delete(key);
    removeFrom(this.#holders, key, node);
  }

  #wants(node: string, topic: Topic): boolean {
    return topic.nodePort || this.deps.interest.wants(node, topic.namespace);
  }

  /** Keys of every Service `node` needs. */
  *#wantedBy(node: string): Iterable<string> {
    if (this.deps.interest.wantsAll(node)) return yield* this.#topics.keys();
    yield* this.#nodePort;
    for (const ns of this.deps.interest.namespacesOf(node))
      for (const key of this.#byNamespace.get(ns) ?? []) if (!this.#nodePort.has(key)) yield key;
  }

  /** The session of a protocol-2 node that was sent its set (deltas before the set would be lost on it). */
  #v2(node: string): StreamSession | undefined {
    return this.#held.has(node) ? this.deps.sessionOf(node) : undefined;
  }

  #v2Nodes(): Iterable<string> {
    return this.#held.keys();
  }

  #legacyFrame(): Buffer {
    return (this.#legacy ??= encodeFrame({
      type: 'serviceSync',
      services: [...this.#topics.values()].map((t) => t.route),
    }));
  }
}

/** Same ports, type, affinity and scale-from-zero flag (only endpoints may differ). */
function sameSpec(a: ServiceRoute, b: ServiceRoute): boolean {
  return (
    a.type === b.type &&
    a.sessionAffinity === b.sessionAffinity &&
    a.scaleFromZero === b.scaleFromZero &&
    jsonEqual(a.ports, b.ports)
  );
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  set?.delete(value);
  if (set?.size === 0) index.delete(key);
}

/**
 * The Service stream's current topics and the indexes it finds them by: per namespace (nodes want a
 * namespace's Services), the NodePort ones (every node serves them), the ones every node needs though
 * none is a NodePort (backends of Gateways' routes), and per endpoint node (a Node's address, mesh
 * port or zone is in every route with an endpoint there). Which node wants which topic is decided
 * here too, so the stream and its fan-out read one answer.
 */
import type { ServiceRoute } from '../../api/index.js';
import type { NodeInterest } from './node-interest.js';
import { addTo, removeFrom } from './service-peers.js';
import type { ServiceTopic } from './service-topic.js';

/** The `namespace/name` key of a Service. */
export const serviceKey = (ns: string, name: string): string => `${ns}/${name}`;

/** Topics by key, with the indexes the stream reads them by. */
export class ServiceCatalog {
  readonly #topics = new Map<string, ServiceTopic>();
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #nodePort = new Set<string>();
  /** Services every node needs though none is a NodePort (backends of Gateways' routes). */
  readonly #wide = new Set<string>();
  /** node name → keys of Services with an endpoint there (its address, mesh port and zone are in them). */
  readonly #byEndpointNode = new Map<string, Set<string>>();

  constructor(private readonly interest: NodeInterest) {}

  /** The current topic of `key`. */
  get(key: string): ServiceTopic | undefined {
    return this.#topics.get(key);
  }

  /** Every key with a topic. */
  keys(): Iterable<string> {
    return this.#topics.keys();
  }

  /** Every current route (for the protocol-1 `serviceSync`). */
  routes(): ServiceRoute[] {
    return [...this.#topics.values()].map((t) => t.route);
  }

  /** Keys of the Services of `namespace`. */
  inNamespace(namespace: string): Iterable<string> {
    return this.#byNamespace.get(namespace) ?? [];
  }

  /** Keys of the Services with an endpoint on `node`. */
  onNode(node: string): Iterable<string> {
    return this.#byEndpointNode.get(node) ?? [];
  }

  /** Whether every node needs `key` (a Gateway's backend). */
  isWide(key: string): boolean {
    return this.#wide.has(key);
  }

  /** Marks whether every node needs `key`; true when that changed. */
  setWide(key: string, wide: boolean): boolean {
    const changed = wide !== this.#wide.has(key);
    if (wide) this.#wide.add(key);
    else this.#wide.delete(key);
    return changed;
  }

  /** Makes `topic` the current one of `key` (the old one, if any, must have been removed). */
  put(key: string, topic: ServiceTopic): void {
    this.#topics.set(key, topic);
    addTo(this.#byNamespace, topic.namespace, key);
    if (topic.nodePort) this.#nodePort.add(key);
    for (const e of topic.route.endpoints) addTo(this.#byEndpointNode, e.nodeName, key);
  }

  /** Takes `topic` out of the indexes; with `forget`, out of the catalog as well (its Service is gone). */
  remove(topic: ServiceTopic, forget = false): void {
    const key = serviceKey(topic.namespace, topic.name);
    if (forget) this.#topics.delete(key);
    removeFrom(this.#byNamespace, topic.namespace, key);
    this.#nodePort.delete(key);
    for (const e of topic.route.endpoints) removeFrom(this.#byEndpointNode, e.nodeName, key);
  }

  /** Whether `node` needs `topic`: a NodePort, a Gateway's backend, or a namespace its pods need. */
  wants(node: string, topic: ServiceTopic): boolean {
    if (this.#wide.has(serviceKey(topic.namespace, topic.name))) return true;
    return topic.nodePort || this.interest.wants(node, topic.namespace);
  }

  /** Keys of every Service `node` needs. */
  *wantedBy(node: string): Iterable<string> {
    if (this.interest.wantsAll(node)) return yield* this.#topics.keys();
    yield* this.#nodePort;
    yield* this.#wide;
    for (const ns of this.interest.namespacesOf(node))
      for (const key of this.#byNamespace.get(ns) ?? [])
        if (!this.#nodePort.has(key) && !this.#wide.has(key)) yield key;
  }
}

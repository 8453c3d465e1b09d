/**
 * What the node's proxy and mesh delivered, counted where it happens: per pod of this node (every
 * request handed to one of its containers — from a NodePort, a peer's mesh hop or a local caller)
 * and per Service (every request this node balanced over a Service's endpoints, wherever they run).
 * Cumulative counters only, kept in plain objects found by two map lookups on strings the request
 * already carries: no allocation per request once a pod or Service has been seen. Readers (the
 * `usage` frames, Prometheus) take deltas or read them as they are.
 *
 * Bounded: pod entries are kept only for pods still on the node, Service entries only for Services
 * in the node's set (`retainPods`, `retainServices`), and both maps are capped besides.
 */

import { LATENCY_BUCKETS_MS } from '../../../api/index.js';

/** Upper bounds (ms) of the latency histogram's buckets; a last, open bucket follows (the wire's). */
export { LATENCY_BUCKETS_MS };

/** Entries kept per map at most (a pod or Service past it is not counted until others leave). */
export const MAX_ACCOUNTED = 10_000;

/** Cumulative counts of one pod's or Service's requests. */
export interface RequestCounters {
  readonly namespace: string;
  readonly name: string;
  requests: number;
  /** Answers by status class: index 1 = 1xx … 5 = 5xx; index 0 = failed without an answer. */
  readonly byClass: number[];
  latencyMsSum: number;
  /** Per bucket of {@link LATENCY_BUCKETS_MS} (not cumulative), the last one open-ended. */
  readonly buckets: number[];
}

/** Status classes as Prometheus labels, by {@link RequestCounters.byClass} index. */
export const CODE_CLASSES = ['failed', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Counts for `usage` frames: 4xx, and 5xx together with requests that got no answer. */
export function errorCounts(c: RequestCounters): { errors4xx: number; errors5xx: number } {
  return { errors4xx: c.byClass[4]!, errors5xx: c.byClass[5]! + c.byClass[0]! };
}

function counters(namespace: string, name: string): RequestCounters {
  return {
    namespace,
    name,
    requests: 0,
    byClass: [0, 0, 0, 0, 0, 0],
    latencyMsSum: 0,
    buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

/** Adds one request to `c`: `status` 0 when it failed without an answer. */
function count(c: RequestCounters, status: number, latencyMs: number): void {
  c.requests += 1;
  const cls = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
  c.byClass[cls]! += 1;
  const ms = latencyMs > 0 ? latencyMs : 0;
  c.latencyMsSum += ms;
  let b = 0;
  while (b < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[b]!) b++;
  c.buckets[b]! += 1;
}

/** A two-level map namespace → name → counters, capped at {@link MAX_ACCOUNTED} entries. */
class CounterMap {
  readonly #byNs = new Map<string, Map<string, RequestCounters>>();
  #size = 0;

  peek(namespace: string, name: string): RequestCounters | undefined {
    return this.#byNs.get(namespace)?.get(name);
  }

  /** The entry, made on first use (undefined when the map is full). */
  get(namespace: string, name: string): RequestCounters | undefined {
    let names = this.#byNs.get(namespace);
    let c = names?.get(name);
    if (c) return c;
    if (this.#size >= MAX_ACCOUNTED) return undefined;
    if (!names) this.#byNs.set(namespace, (names = new Map<string, RequestCounters>()));
    names.set(name, (c = counters(namespace, name)));
    this.#size += 1;
    return c;
  }

  *values(): IterableIterator<RequestCounters> {
    for (const names of this.#byNs.values()) yield* names.values();
  }

  /** Keeps only the entries `keep` says yes to. */
  retain(keep: (namespace: string, name: string) => boolean): void {
    for (const [ns, names] of this.#byNs) {
      for (const name of names.keys()) {
        if (keep(ns, name)) continue;
        names.delete(name);
        this.#size -= 1;
      }
      if (names.size === 0) this.#byNs.delete(ns);
    }
  }
}

/** The node's request counters (see the file comment). */
export class RequestAccounting {
  readonly #pods = new CounterMap();
  readonly #services = new CounterMap();

  /** A request delivered to local pod `namespace/name` ended with `status` (0: no answer) after `latencyMs`. */
  podRequest(namespace: string, name: string, status: number, latencyMs: number): void {
    const c = this.#pods.get(namespace, name);
    if (c) count(c, status, latencyMs);
  }

  /** A request balanced over Service `namespace/name`'s endpoints ended with `status` (0: no answer). */
  serviceRequest(namespace: string, name: string, status: number, latencyMs: number): void {
    const c = this.#services.get(namespace, name);
    if (c) count(c, status, latencyMs);
  }

  /** The counters of a pod, undefined when nothing was delivered to it. */
  pod(namespace: string, name: string): RequestCounters | undefined {
    return this.#pods.peek(namespace, name);
  }

  pods(): IterableIterator<RequestCounters> {
    return this.#pods.values();
  }

  services(): IterableIterator<RequestCounters> {
    return this.#services.values();
  }

  /** Forgets pods that are no longer on the node. */
  retainPods(keep: (namespace: string, name: string) => boolean): void {
    this.#pods.retain(keep);
  }

  /** Forgets Services that left the node's set. */
  retainServices(keep: (namespace: string, name: string) => boolean): void {
    this.#services.retain(keep);
  }
}

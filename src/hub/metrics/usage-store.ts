/**
 * The hub's metrics intake: the latest `usage` sample per pod and per node, as the nodes report them
 * (`wire-metrics.ts`), read by `metrics.k8s.io`, `edgectl top` and the HorizontalPodAutoscaler through
 * `UsageSource`.
 *
 * Memory is bounded by what exists: a sample is kept only for a pod the informer holds, bound to the
 * node that reports it (node restriction: a node cannot report, or overwrite, another node's pods; such
 * entries are ignored and counted), and it goes when the pod is deleted or moves, when its node is
 * deleted, or once it is older than `staleWindows` of its windows (a node that stopped reporting).
 */
import type { Clock, Logger, Node, NodeUsage, Pod } from '../../api/index.js';
import { LATENCY_BUCKETS_MS, errorMessage } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { NodeUsageSample, PodUsageSample, UsageSource } from './usage-source.js';

/** Dependencies of {@link UsageStore}. */
export interface UsageStoreDeps {
  pods: Pick<Informer<Pod>, 'get' | 'addHandler'>;
  nodes: Pick<Informer<Node>, 'get' | 'addHandler'>;
  clock: Clock;
  logger: Logger;
  /** A sample older than this many of its windows is stale: not served, and dropped (default 3). */
  staleWindows?: number;
}

interface Kept<T> {
  sample: T;
  /** When the hub received it (the hub's clock: a node's clock may be off). */
  receivedAt: number;
}

/** Counters of what the intake took in and turned away. */
export interface UsageStoreStats {
  /** `usage` frames taken in. */
  frames: number;
  /** Pod entries ignored: not a pod the hub knows bound to the reporting node. */
  refusedPods: number;
}

/** Latest usage per pod and node; implements `UsageSource`. */
export class UsageStore implements UsageSource {
  /** namespace → pod name → latest sample. */
  readonly #pods = new Map<string, Map<string, Kept<PodUsageSample>>>();
  readonly #nodes = new Map<string, Kept<NodeUsageSample>>();
  readonly #wakeListeners = new Set<(namespace: string, service: string) => void>();
  readonly #staleWindows: number;
  readonly stats: UsageStoreStats = { frames: 0, refusedPods: 0 };

  constructor(private readonly deps: UsageStoreDeps) {
    this.#staleWindows = deps.staleWindows ?? 3;
    deps.pods.addHandler({
      onAdd: () => {},
      onUpdate: (old, pod) => {
        // A pod that moved or was replaced under the same name no longer has the old sample's usage.
        if (old.spec.nodeName !== pod.spec.nodeName || old.metadata.uid !== pod.metadata.uid) this.#dropPod(old);
      },
      onDelete: (pod) => this.#dropPod(pod),
    });
    deps.nodes.addHandler({
      onAdd: () => {},
      onUpdate: () => {},
      onDelete: (node) => this.#nodes.delete(node.metadata.name ?? ''),
    });
  }

  /** Takes in one `usage` frame of `node` (the session's admitted name). */
  report(node: string, frame: NodeUsage): void {
    const receivedAt = this.deps.clock.now();
    const { timestamp, windowSeconds } = frame;
    this.stats.frames++;
    if (this.deps.nodes.get(undefined, node))
      this.#nodes.set(node, {
        receivedAt,
        sample: { name: node, timestamp, windowSeconds, ...frame.node },
      });
    let refused = 0;
    for (const p of frame.pods) {
      const pod = this.deps.pods.get(p.pod.namespace, p.pod.name);
      if (!pod || pod.metadata.uid !== p.pod.uid || pod.spec.nodeName !== node) {
        refused++;
        continue;
      }
      const http = p.http;
      const sample: PodUsageSample = {
        namespace: p.pod.namespace,
        name: p.pod.name,
        uid: p.pod.uid,
        node,
        timestamp,
        windowSeconds,
        containers: p.containers,
        requestsPerSecond: http ? http.requests / windowSeconds : 0,
        errorsPerSecond: http ? http.errors5xx / windowSeconds : 0,
        ...(http && http.requests > 0 ? { meanLatencyMs: http.latencyMsSum / http.requests } : {}),
        ...(http?.latencyBuckets && http.requests > 0 ? { latencyBuckets: denseBuckets(http.latencyBuckets) } : {}),
      };
      let ns = this.#pods.get(sample.namespace);
      if (!ns) {
        ns = new Map<string, Kept<PodUsageSample>>();
        this.#pods.set(sample.namespace, ns);
      }
      ns.set(sample.name, { sample, receivedAt });
    }
    if (refused > 0) {
      // Counted always, logged once per frame (a node's bug must not flood the log).
      this.stats.refusedPods += refused;
      this.deps.logger.warn({ node, refused }, 'usage for pods not bound to the reporting node ignored');
    }
  }

  pod(namespace: string, name: string): PodUsageSample | undefined {
    const kept = this.#pods.get(namespace)?.get(name);
    if (!kept) return undefined;
    if (this.#fresh(kept)) return kept.sample;
    this.#pods.get(namespace)?.delete(name);
    return undefined;
  }

  pods(namespace?: string): PodUsageSample[] {
    const out: PodUsageSample[] = [];
    const spaces = namespace === undefined ? [...this.#pods.keys()] : [namespace];
    for (const ns of spaces) {
      const byName = this.#pods.get(ns);
      if (!byName) continue;
      for (const [name, kept] of byName) {
        if (this.#fresh(kept)) out.push(kept.sample);
        else byName.delete(name);
      }
      if (byName.size === 0) this.#pods.delete(ns);
    }
    return out;
  }

  node(name: string): NodeUsageSample | undefined {
    const kept = this.#nodes.get(name);
    if (!kept) return undefined;
    if (this.#fresh(kept)) return kept.sample;
    this.#nodes.delete(name);
    return undefined;
  }

  nodes(): NodeUsageSample[] {
    const out: NodeUsageSample[] = [];
    for (const [name, kept] of this.#nodes) {
      if (this.#fresh(kept)) out.push(kept.sample);
      else this.#nodes.delete(name);
    }
    return out;
  }

  onServiceWake(listener: (namespace: string, service: string) => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  /** Tells every wake listener that a node holds a request for this Service (checked by the caller). */
  wake(namespace: string, service: string): void {
    for (const l of this.#wakeListeners) {
      try {
        l(namespace, service);
      } catch (err) {
        this.deps.logger.warn({ namespace, service, err: errorMessage(err) }, 'a service wake listener failed');
      }
    }
  }

  /** Samples held (pods and nodes), stale ones not yet swept included. */
  get size(): { pods: number; nodes: number } {
    let pods = 0;
    for (const m of this.#pods.values()) pods += m.size;
    return { pods, nodes: this.#nodes.size };
  }

  #fresh(kept: Kept<{ windowSeconds: number }>): boolean {
    return this.deps.clock.now() - kept.receivedAt <= this.#staleWindows * kept.sample.windowSeconds * 1000;
  }

  #dropPod(pod: Pod): void {
    const ns = pod.metadata.namespace ?? 'default';
    const byName = this.#pods.get(ns);
    const kept = byName?.get(pod.metadata.name ?? '');
    // Only the sample of this pod: a newer pod of the same name may have reported already.
    if (!byName || !kept || kept.sample.uid !== pod.metadata.uid) return;
    byName.delete(pod.metadata.name ?? '');
    if (byName.size === 0) this.#pods.delete(ns);
  }
}

/** A frame's sparse `[bucket, count]` pairs as one count per bucket. */
function denseBuckets(pairs: ReadonlyArray<readonly [number, number]>): number[] {
  const out = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [i, n] of pairs) out[i]! += n;
  return out;
}

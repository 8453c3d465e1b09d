/**
 * The nodes' usage across hubs (issue 19). A node reports its pods' usage to the hub it is connected
 * to, but the HorizontalPodAutoscaler runs on the leader, and `top`/`metrics.k8s.io` may be asked of
 * any hub. So every hub on etcd publishes the fresh samples it holds, at a low rate, under
 * `/hubs/usage/<identity>/<shard>`, and reads the other hubs' records on the same tick:
 * - one write per hub per period and per shard of `SHARD_PODS` pods, never one per node or per report
 *   (the store would otherwise take every node's heartbeat-rate frames);
 * - shards keep each value far below etcd's request limit (1.5 MiB by default) at tens of thousands of
 *   pods;
 * - a remote record counts while it keeps changing (for three periods after it last changed), judged
 *   by this hub's own clock as presence records are: no clock comparison between hubs. The hub that
 *   wrote it published only the samples it still held fresh.
 *
 * Why not ask the peers when the HPA needs a figure: hubs have no authenticated channel to each other
 * (they share only etcd), and a request fan-out on each HPA sync would tie the leader's loop to the
 * slowest follower. The records cost a period of delay (5 s by default, as the nodes' own
 * `--metrics-interval`), well inside the HPA's 15 s sync.
 *
 * `SharedUsage` serves this hub's `UsageStore` first and the other hubs' samples after it; a pod's
 * sample from the hub its node is on now wins, since a moved node's old hub stops reporting it.
 * Service wake-ups (a node holds a request for a Service scaled to zero) travel the same way: the hub
 * that got one keeps it in its records for `WAKE_TICKS` periods, numbered by the record it first went
 * in, and every other hub tells its wake listeners (the leader's HPA) once, when it first reads it: a
 * reader that misses a record or two under load still hears it, and the node repeats its wake-up
 * while the request waits anyway.
 */
import { z } from 'zod';
import type { Logger } from '../../api/index.js';
import { ContainerUsage, errorMessage } from '../../api/index.js';
import type { NodeUsageSample, PodUsageSample, UsageSource } from '../metrics/index.js';
import { PeriodicSweep } from '../reconcile/index.js';
import type { Store } from '../store/index.js';

/** Where the records live (outside `/registry/`: not an API object). */
export const USAGE_PREFIX = '/hubs/usage/';
/** Pod samples per record. */
export const SHARD_PODS = 2000;
/** How often a hub publishes and reads, by default. */
export const DEFAULT_USAGE_SHARE_PERIOD_MS = 5_000;

const PodSample = z.object({
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  node: z.string(),
  timestamp: z.string(),
  windowSeconds: z.number().positive(),
  containers: z.array(ContainerUsage),
  requestsPerSecond: z.number(),
  errorsPerSecond: z.number(),
  meanLatencyMs: z.number().optional(),
  // Optional, and an older hub's non-strict schema drops it: records stay readable both ways.
  latencyBuckets: z.array(z.number().int().nonnegative()).max(64).optional(),
});
const NodeSample = z.object({
  name: z.string(),
  timestamp: z.string(),
  windowSeconds: z.number().positive(),
  cpuNanoCores: z.number(),
  memoryBytes: z.number(),
});
/** Records a wake-up stays in. */
const WAKE_TICKS = 3;

const Wake = z.object({ namespace: z.string(), service: z.string(), seq: z.number().int() });
type Wake = z.infer<typeof Wake>;
const UsageRecord = z.object({
  seq: z.number().int(),
  wakes: z.array(Wake).max(10_000).optional(),
  pods: z.array(PodSample).max(SHARD_PODS),
  nodes: z.array(NodeSample).max(100_000),
});

/** Options of {@link SharedUsage}. */
export interface SharedUsageOptions {
  store: Store;
  /** This hub's identity (its records' key). */
  identity: string;
  /** This hub's own intake. */
  local: UsageSource;
  periodMs?: number;
  /** Clock of freshness (ms); default `Date.now`. */
  now?: () => number;
  logger: Logger;
}

interface RemoteShard {
  /** The highest wake-up number of its hub told already. */
  wakeSeq: number;
  modRevision: number;
  observedAt: number;
  pods: PodUsageSample[];
  nodes: NodeUsageSample[];
}

/** This hub's usage and the other hubs' (see the module comment). */
export class SharedUsage implements UsageSource {
  readonly #o: SharedUsageOptions;
  readonly #period: number;
  readonly #now: () => number;
  readonly #remote = new Map<string, RemoteShard>();
  /** Remote samples by `namespace/name` and node name, rebuilt after each read. */
  #pods = new Map<string, PodUsageSample>();
  #nodes = new Map<string, NodeUsageSample>();
  /** Shard keys this hub wrote (so shards it no longer needs are deleted). */
  #written = new Map<string, number>();
  #seq = 0;
  /** Wake-ups this hub got since its last record (`namespace/service`). */
  #wakes = new Set<string>();
  /** Wake-ups of this hub's last `WAKE_TICKS` records. */
  #recentWakes: Wake[] = [];
  readonly #wakeListeners = new Set<(namespace: string, service: string) => void>();
  /** The periodic publish-and-read (one run at a time; `stop()` waits for the one under way). */
  readonly #ticks: PeriodicSweep<void>;
  /** True after the first read (records seen then are not news). */
  #readOnce = false;

  constructor(opts: SharedUsageOptions) {
    this.#o = opts;
    this.#period = opts.periodMs ?? DEFAULT_USAGE_SHARE_PERIOD_MS;
    this.#now = opts.now ?? Date.now;
    // #tick logs its own failures; the sweep's message is for anything that escapes it.
    this.#ticks = new PeriodicSweep({
      run: () => this.#tick(),
      intervalMs: this.#period,
      firstDelayMs: 0,
      logger: opts.logger,
      failureMessage: 'sharing the nodes’ usage failed',
    });
    opts.local.onServiceWake((namespace, service) => {
      this.#wakes.add(`${namespace}/${service}`);
      this.#tellWake(namespace, service);
    });
  }

  start(): void {
    this.#ticks.start();
  }

  /** Stops and removes this hub's records. */
  async stop(): Promise<void> {
    await this.#ticks.stop();
    for (const key of this.#written.keys()) await this.#o.store.delete(key).catch(() => undefined);
    this.#written.clear();
  }

  pod(namespace: string, name: string): PodUsageSample | undefined {
    return this.#o.local.pod(namespace, name) ?? this.#pods.get(`${namespace}/${name}`);
  }

  pods(namespace?: string): PodUsageSample[] {
    const out = this.#o.local.pods(namespace);
    const seen = new Set(out.map((p) => `${p.namespace}/${p.name}`));
    for (const [key, p] of this.#pods) {
      if (!seen.has(key) && (namespace === undefined || p.namespace === namespace)) out.push(p);
    }
    return out;
  }

  node(name: string): NodeUsageSample | undefined {
    return this.#o.local.node(name) ?? this.#nodes.get(name);
  }

  nodes(): NodeUsageSample[] {
    const out = this.#o.local.nodes();
    const seen = new Set(out.map((n) => n.name));
    for (const n of this.#nodes.values()) if (!seen.has(n.name)) out.push(n);
    return out;
  }

  onServiceWake(listener: (namespace: string, service: string) => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  #tellWake(namespace: string, service: string): void {
    for (const l of this.#wakeListeners) {
      try {
        l(namespace, service);
      } catch (err) {
        this.#o.logger.warn({ namespace, service, err: errorMessage(err) }, 'a service wake listener failed');
      }
    }
  }

  async #tick(): Promise<void> {
    try {
      await this.#publish();
    } catch (err) {
      this.#written.clear();
      this.#o.logger.warn({ err: errorMessage(err) }, 'publishing the nodes’ usage failed');
    }
    try {
      await this.#read();
    } catch (err) {
      this.#o.logger.warn({ err: errorMessage(err) }, "reading the other hubs' usage failed");
    }
  }

  async #publish(): Promise<void> {
    const { store, identity, local } = this.#o;
    const pods = local.pods();
    const nodes = local.nodes();
    const shards = Math.max(1, Math.ceil(pods.length / SHARD_PODS));
    const seq = ++this.#seq;
    for (const w of this.#wakes) {
      const i = w.indexOf('/');
      this.#recentWakes.push({ namespace: w.slice(0, i), service: w.slice(i + 1), seq });
    }
    this.#wakes.clear();
    this.#recentWakes = this.#recentWakes.filter((w) => w.seq > seq - WAKE_TICKS);
    const wakes = this.#recentWakes;
    const keep = new Set<string>();
    for (let i = 0; i < shards; i++) {
      const key = `${USAGE_PREFIX}${identity}/${i}`;
      keep.add(key);
      const value = {
        seq,
        pods: pods.slice(i * SHARD_PODS, (i + 1) * SHARD_PODS),
        nodes: i === 0 ? nodes : [],
        ...(i === 0 && wakes.length > 0 ? { wakes } : {}),
      };
      this.#written.set(key, await this.#put(key, value, this.#written.get(key)));
    }
    for (const key of [...this.#written.keys()]) {
      if (keep.has(key)) continue;
      await store.delete(key).catch(() => undefined);
      this.#written.delete(key);
    }
  }

  /** Writes `key` (a compare-and-swap on the revision this hub last wrote, else create or take over). */
  async #put(key: string, value: unknown, revision: number | undefined): Promise<number> {
    const { store } = this.#o;
    if (revision !== undefined) return store.update(key, value, revision);
    const current = await store.get(key);
    return current ? store.update(key, value, current.modRevision) : store.create(key, value);
  }

  async #read(): Promise<void> {
    const { items } = await this.#o.store.list(USAGE_PREFIX);
    const now = this.#now();
    const own = `${USAGE_PREFIX}${this.#o.identity}/`;
    const seen = new Set<string>();
    const pods = new Map<string, PodUsageSample>();
    const nodes = new Map<string, NodeUsageSample>();
    for (const item of items) {
      if (item.key.startsWith(own)) continue;
      seen.add(item.key);
      let r = this.#remote.get(item.key);
      if (!r || r.modRevision !== item.modRevision) {
        const parsed = UsageRecord.safeParse(item.value);
        const wakes = parsed.success ? (parsed.data.wakes ?? []) : [];
        // The first read after this hub starts takes what records hold as known: those wake-ups are
        // older than it (and repeated by their nodes while they hold); a hub that appears later is news.
        const told = r ? r.wakeSeq : this.#readOnce ? 0 : Math.max(0, ...wakes.map((w) => w.seq));
        for (const w of wakes) if (w.seq > told) this.#tellWake(w.namespace, w.service);
        r = {
          wakeSeq: Math.max(told, ...wakes.map((w) => w.seq)),
          modRevision: item.modRevision,
          observedAt: now,
          pods: parsed.success ? parsed.data.pods : [],
          nodes: parsed.success ? parsed.data.nodes : [],
        };
        this.#remote.set(item.key, r);
      }
      // A record that stopped changing (its hub died) stops counting after three periods, and goes
      // from the store after thirty.
      if (now - r.observedAt > 3 * this.#period) {
        if (now - r.observedAt > 30 * this.#period)
          await this.#o.store.delete(item.key, item.modRevision).catch(() => undefined);
        continue;
      }
      for (const p of r.pods) {
        const key = `${p.namespace}/${p.name}`;
        const prev = pods.get(key);
        if (!prev || prev.timestamp < p.timestamp) pods.set(key, p);
      }
      for (const n of r.nodes) {
        const prev = nodes.get(n.name);
        if (!prev || prev.timestamp < n.timestamp) nodes.set(n.name, n);
      }
    }
    for (const key of [...this.#remote.keys()]) if (!seen.has(key)) this.#remote.delete(key);
    this.#pods = pods;
    this.#nodes = nodes;
    this.#readOnce = true;
  }
}

/**
 * Turns the cumulative figures of the node's pods into one window's usage: CPU as a rate (the CPU
 * time a container used since the last sample over the time between, in billionths of a core),
 * memory as its working set now, and the requests the node delivered to each pod in the window (from
 * the mesh's counters). The first sample is only a baseline. A container first seen in a window
 * started in it, so its whole CPU time so far counts for that window. Containers whose runtime has no
 * `containerUsage` (or that stopped) are left out; a pod with neither containers nor requests too.
 */
import { errorMessage } from '../../api/index.js';
import type { ContainerStats, ContainerUsage, Logger, PodUsage, Runtime } from '../../api/index.js';
import type { RequestCounters } from '../mesh/index.js';
import { errorCounts } from '../mesh/index.js';
import { nodeCpuNanoSeconds, nodeMemoryBytes } from './node-usage.js';
import type { UsageWindow } from './usage-frames.js';

/** One running container of a pod, as the sampler reads it. */
export interface MeteredContainer {
  name: string;
  runtime: Pick<Runtime, 'containerUsage'>;
  id: string;
}

/** A pod on the node, as the sampler reads it. */
export interface MeteredPod {
  readonly ref: { namespace: string; name: string; uid: string };
  /** Its running containers. */
  containers(): MeteredContainer[];
}

/** Where the sampler reads from. */
export interface UsageSamplerDeps {
  pods(): Iterable<MeteredPod>;
  /** The mesh's request counters of a pod (cumulative). */
  requests(namespace: string, name: string): RequestCounters | undefined;
  logger: Logger;
  /** The whole node's busy CPU time (ns) and memory in use (bytes); the device's by default. */
  nodeCpuNanoSeconds?(): number;
  nodeMemoryBytes?(): number;
  /** Milliseconds (monotonic); `performance.now` by default. */
  now?(): number;
  /**
   * Wall-clock milliseconds for the window's timestamp; `Date.now` by default. The hub tells one report
   * of a pod from the next by it, so a test sampling twice within a millisecond passes its own.
   */
  wallNow?(): number;
}

interface HttpSeen {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  latencyMsSum: number;
  /** Per latency bucket (not cumulative), a copy of the mesh's counters. */
  buckets: number[];
}

/** Window-by-window usage of the node (see the file comment). */
export class UsageSampler {
  readonly #deps: UsageSamplerDeps;
  #last: { at: number; nodeCpuNs: number } | undefined;
  /** CPU time seen per `uid/container`, with the container id it belongs to. */
  #cpu = new Map<string, { id: string; cpuNs: number }>();
  /** Request counters seen per pod uid. */
  #http = new Map<string, HttpSeen>();
  /** The last window (Prometheus reads CPU and memory per pod from it). */
  latest: UsageWindow | undefined;

  constructor(deps: UsageSamplerDeps) {
    this.#deps = deps;
  }

  /** Takes a sample; the window since the previous one, or undefined for the first (baseline). */
  async sample(): Promise<UsageWindow | undefined> {
    const d = this.#deps;
    const at = (d.now ?? performance.now.bind(performance))();
    const nodeCpuNs = (d.nodeCpuNanoSeconds ?? nodeCpuNanoSeconds)();
    const pods = [...d.pods()];
    const stats = await Promise.all(pods.map((p) => this.#containerStats(p)));
    const last = this.#last;
    this.#last = { at, nodeCpuNs };
    const seconds = last ? (at - last.at) / 1000 : 0;
    const cpu = new Map<string, { id: string; cpuNs: number }>();
    const http = new Map<string, HttpSeen>();
    const out: PodUsage[] = [];
    pods.forEach((pod, i) => {
      const containers: ContainerUsage[] = [];
      for (const { c, s } of stats[i]!) {
        const key = `${pod.ref.uid}/${c.name}`;
        const before = this.#cpu.get(key);
        cpu.set(key, { id: c.id, cpuNs: s.cpuUsageNanoSeconds });
        // Same container: the delta; a new one (restart, start) started in this window: all of it.
        const used = before?.id === c.id ? s.cpuUsageNanoSeconds - before.cpuNs : s.cpuUsageNanoSeconds;
        containers.push({
          name: c.name,
          cpuNanoCores: rate(used, seconds),
          memoryBytes: count(s.memoryWorkingSetBytes),
        });
      }
      const counters = d.requests(pod.ref.namespace, pod.ref.name);
      const now = counters ? httpOf(counters) : undefined;
      if (now) http.set(pod.ref.uid, now);
      const delta = now && httpDelta(now, this.#http.get(pod.ref.uid));
      const { namespace, name, uid } = pod.ref;
      if (containers.length > 0 || delta)
        out.push({ pod: { namespace, name, uid }, containers, ...(delta ? { http: delta } : {}) });
    });
    this.#cpu = cpu;
    this.#http = http;
    if (!last || seconds <= 0) return undefined;
    const window: UsageWindow = {
      timestamp: new Date((d.wallNow ?? Date.now)()).toISOString(),
      windowSeconds: Math.min(3600, seconds),
      node: {
        cpuNanoCores: rate(nodeCpuNs - last.nodeCpuNs, seconds),
        memoryBytes: count((d.nodeMemoryBytes ?? nodeMemoryBytes)()),
      },
      pods: out,
    };
    this.latest = window;
    return window;
  }

  async #containerStats(pod: MeteredPod): Promise<Array<{ c: MeteredContainer; s: ContainerStats }>> {
    const out: Array<{ c: MeteredContainer; s: ContainerStats }> = [];
    for (const c of pod.containers()) {
      if (!c.runtime.containerUsage) continue;
      try {
        const s = await c.runtime.containerUsage(c.id);
        if (s) out.push({ c, s });
      } catch (err) {
        this.#deps.logger.debug({ container: c.id, err: errorMessage(err) }, 'container usage unavailable');
      }
    }
    return out;
  }
}

function httpOf(c: RequestCounters): HttpSeen {
  return { requests: c.requests, ...errorCounts(c), latencyMsSum: c.latencyMsSum, buckets: [...c.buckets] };
}

/** What happened between two readings; undefined when nothing did. Counters that went back restarted. */
function httpDelta(now: HttpSeen, before: HttpSeen | undefined): PodUsage['http'] {
  const base = before && before.requests <= now.requests ? before : undefined;
  const requests = now.requests - (base?.requests ?? 0);
  if (requests <= 0) return undefined;
  return {
    requests,
    errors4xx: count(now.errors4xx - (base?.errors4xx ?? 0)),
    errors5xx: count(now.errors5xx - (base?.errors5xx ?? 0)),
    latencyMsSum: Math.max(0, now.latencyMsSum - (base?.latencyMsSum ?? 0)),
    latencyBuckets: bucketDelta(now.buckets, base?.buckets),
  };
}

/** The buckets that counted requests between two readings, as the frame's sparse `[bucket, count]`. */
function bucketDelta(now: readonly number[], before: readonly number[] | undefined): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  now.forEach((n, i) => {
    const d = count(n - (before?.[i] ?? 0));
    if (d > 0) out.push([i, d]);
  });
  return out;
}

/** ns of CPU over `seconds` as billionths of a core. */
function rate(ns: number, seconds: number): number {
  return seconds > 0 ? count(ns / seconds) : 0;
}

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.min(Math.round(n), Number.MAX_SAFE_INTEGER) : 0;
}

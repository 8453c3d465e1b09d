/**
 * The node's Prometheus metrics: one prom-client Registry per agent (never the global one: tests run
 * several agents in one process), every series read at scrape time from where the node keeps it —
 * the mesh's request counters (per pod and per Service), the pods' restart counts, the last usage
 * window (CPU and memory per container, and the node's), and the Wasm runtime's executors and pools.
 * Nothing is recorded per request here.
 */
import { Registry } from 'prom-client';
import { CODE_CLASSES, type RelayMetrics, type RequestAccounting, type RequestCounters } from '../../mesh/index.js';
import type { UsageWindow } from '../usage-frames.js';
import type { MeteredPod } from '../usage-sampler.js';
import { relayMetrics } from './relay-registry.js';
import { RequestHistogram } from './request-histogram.js';
import { scrapedCounter, scrapedGauge as gauge } from './scraped-series.js';

/** What the Wasm runtime tells of its executors and pools (WasmRuntime's `stats`, `instanceCount`). */
export interface WasmRuntimeGauges {
  readonly stats: {
    sharedExecutors: number;
    instancesPerExecutor: number[];
    isolatedPods: number;
    stalledExecutors: number;
    executorReplacements: number;
    guestSeconds: number;
    memoryBudget: { total: number; reserved: number };
  };
  instanceCount(containerId: string): number;
}

/** Where the registry reads from. */
export interface NodeRegistrySources {
  requests: RequestAccounting;
  /** The node's pods with their containers, and each container's restart count. */
  pods(): Iterable<MeteredPod & { restarts(): Array<{ container: string; count: number }> }>;
  /** The last usage window. */
  latest(): UsageWindow | undefined;
  /** The Wasm runtime, when the node runs one. */
  wasm?: WasmRuntimeGauges;
  /** The mesh relay's counters, when the node uses the relay (relay-registry.ts). */
  relay?: RelayMetrics;
}

/** Adds a counter per status class of each of `source()`'s counters. */
function requestCounter(
  r: Registry,
  name: string,
  help: string,
  label: string,
  source: () => Iterable<RequestCounters>,
): void {
  scrapedCounter(r, name, help, ['namespace', label, 'code_class'], (counter) => {
    for (const c of source())
      c.byClass.forEach((n, i) => {
        if (n > 0) counter.inc({ namespace: c.namespace, [label]: c.name, code_class: CODE_CLASSES[i] }, n);
      });
  });
}

/** Builds the node's registry over `src`. */
export function nodeRegistry(src: NodeRegistrySources): Registry {
  const r = new Registry();
  const { requests } = src;
  requestCounter(r, 'edgeplane_pod_http_requests_total', 'HTTP requests the node delivered to a pod on it (NodePort, mesh, local callers), by status class; failed = no answer', 'pod', () => requests.pods()); // prettier-ignore
  r.registerMetric(new RequestHistogram('edgeplane_pod_http_request_duration_seconds', 'Latency of requests the node delivered to a pod on it', 'pod', () => requests.pods())); // prettier-ignore
  requestCounter(r, 'edgeplane_service_http_requests_total', 'HTTP requests this node balanced over a Service, by status class (503: no endpoint could take it)', 'service', () => requests.services()); // prettier-ignore
  r.registerMetric(new RequestHistogram('edgeplane_service_http_request_duration_seconds', 'Latency of requests this node balanced over a Service', 'service', () => requests.services())); // prettier-ignore
  gauge(r, 'edgeplane_container_restarts', 'Restarts of a container of a pod on this node (its restartCount)', ['namespace', 'pod', 'container'], (g) => {
    for (const p of src.pods())
      for (const { container, count } of p.restarts()) g.set({ namespace: p.ref.namespace, pod: p.ref.name, container }, count);
  }); // prettier-ignore
  gauge(r, 'edgeplane_container_cpu_usage_cores', 'CPU a container used over the last usage window, in cores', ['namespace', 'pod', 'container'], (g) => {
    for (const p of src.latest()?.pods ?? [])
      for (const c of p.containers) g.set({ namespace: p.pod.namespace, pod: p.pod.name, container: c.name }, c.cpuNanoCores / 1e9);
  }); // prettier-ignore
  gauge(r, 'edgeplane_container_memory_working_set_bytes', 'Working set of a container (Wasm: linear memory plus instance overhead)', ['namespace', 'pod', 'container'], (g) => {
    for (const p of src.latest()?.pods ?? [])
      for (const c of p.containers) g.set({ namespace: p.pod.namespace, pod: p.pod.name, container: c.name }, c.memoryBytes);
  }); // prettier-ignore
  gauge(r, 'edgeplane_node_cpu_usage_cores', 'CPU the whole device used over the last usage window, in cores', [], (g) => {
    const w = src.latest();
    if (w) g.set(w.node.cpuNanoCores / 1e9);
  }); // prettier-ignore
  gauge(r, 'edgeplane_node_memory_working_set_bytes', 'Memory in use on the whole device', [], (g) => {
    const w = src.latest();
    if (w) g.set(w.node.memoryBytes);
  }); // prettier-ignore
  if (src.wasm) wasmMetrics(r, src.wasm, src);
  if (src.relay) relayMetrics(r, src.relay);
  return r;
}

/** The Wasm runtime's executors (utilisation is `rate(edgeplane_wasm_guest_seconds_total) / edgeplane_wasm_executors`) and pools. */
function wasmMetrics(r: Registry, wasm: WasmRuntimeGauges, src: NodeRegistrySources): void {
  scrapedCounter(r, 'edgeplane_wasm_guest_seconds_total', 'Guest execution time on all Wasm executors', [], (c) => c.inc(wasm.stats.guestSeconds)); // prettier-ignore
  gauge(r, 'edgeplane_wasm_executors', 'Shared Wasm executor threads', [], (g) => g.set(wasm.stats.sharedExecutors));
  gauge(r, 'edgeplane_wasm_executor_instances', 'Wasm instances living on each shared executor', ['executor'], (g) =>
    wasm.stats.instancesPerExecutor.forEach((n, i) => g.set({ executor: String(i) }, n)),
  );
  gauge(r, 'edgeplane_wasm_stalled_executors', 'Shared executors busy with one request past the stall bound', [], (g) => g.set(wasm.stats.stalledExecutors)); // prettier-ignore
  gauge(r, 'edgeplane_wasm_isolated_pods', 'Pods moved to executors of their own after an overrun', [], (g) => g.set(wasm.stats.isolatedPods)); // prettier-ignore
  gauge(r, 'edgeplane_wasm_memory_budget_reserved_bytes', "Linear memory reserved of the node's Wasm budget", [], (g) => g.set(wasm.stats.memoryBudget.reserved)); // prettier-ignore
  gauge(r, 'edgeplane_wasm_pool_instances', 'Live instances in the pool of a Wasm container', ['namespace', 'pod', 'container'], (g) => {
    for (const p of src.pods())
      for (const c of p.containers()) {
        const n = wasm.instanceCount(c.id);
        if (n > 0) g.set({ namespace: p.ref.namespace, pod: p.ref.name, container: c.name }, n);
      }
  }); // prettier-ignore
}

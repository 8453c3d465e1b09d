/**
 * The node's metrics: resource and request usage per pod, sent to the hub as `usage` frames
 * (protocol 3). Rooms: `usage-sampler.ts` (windows from cumulative figures), `usage-frames.ts`
 * (cutting a window into frames), `usage-reporter.ts` (the interval and the session), `node-usage.ts`
 * (what "the node" means), `node-metrics.ts` (the whole, as the agent builds it).
 */
export { NodeMetrics, type NodeMetricsDeps, type NodeMetricsOptions } from './node-metrics.js';
export { DEFAULT_METRICS_INTERVAL_MS, UsageReporter, type UsageReporterDeps } from './usage-reporter.js';
export { UsageSampler, type MeteredContainer, type MeteredPod, type UsageSamplerDeps } from './usage-sampler.js';
export { usageFrames, type UsageWindow } from './usage-frames.js';
export { meteredPod, type MeteredWorkerPod, type PodWorkerView } from './metered-pods.js';
// The registry module is loaded on first use (`NodeMetrics.registry()`): prom-client stays out of an idle agent.
export type { NodeRegistrySources, WasmRuntimeGauges } from './prometheus/node-registry.js';
export { MetricsListener, exposition, metricsResult } from './prometheus/metrics-endpoint.js';

/** The hub's Prometheus metrics and its event-loop watchdog. */
export { HubMetrics, type MetricSources, type RequestSample } from './hub-metrics.js';
export { LoopWatchdog, type LoopWatchdogOptions } from './loop-watchdog.js';
export {
  REQUESTS_PER_SECOND_METRIC,
  type NodeUsageSample,
  type PodUsageSample,
  type UsageSource,
} from './usage-source.js';

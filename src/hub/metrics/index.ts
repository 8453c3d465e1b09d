/** The hub's Prometheus metrics and its event-loop watchdog. */
export { HubMetrics, type MetricSources, type RequestSample } from './hub-metrics.js';
export { LoopWatchdog, type LoopWatchdogOptions } from './loop-watchdog.js';

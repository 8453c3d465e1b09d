/** The hub's Prometheus metrics, its event-loop watchdog, and the intake of the nodes' usage. */
export { HubMetrics, type MetricSources, type RequestSample } from './hub-metrics.js';
export { relayMetrics, type RelayFigures } from './relay-metrics.js';
export { LoopWatchdog, type LoopWatchdogOptions } from './loop-watchdog.js';
export {
  REQUESTS_PER_SECOND_METRIC,
  type NodeUsageSample,
  type PodUsageSample,
  type UsageSource,
} from './usage-source.js';
export { UsageStore, type UsageStoreDeps, type UsageStoreStats } from './usage-store.js';
export {
  NodeMetricsFrames,
  type GatewayView,
  type MetricsFrameSession,
  type NodeMetricsFrame,
  type NodeMetricsFramesDeps,
} from './node-metrics-frames.js';
export {
  NodeMetricsBusyError,
  NodeMetricsProxy,
  type MetricsSession,
  type NodeExposition,
  type NodeMetricsProxyOptions,
} from './node-metrics-proxy.js';
export {
  ControlPlaneMetrics,
  observeControllers,
  type FrameMeter,
  type SchedulerObserver,
  type SchedulingResult,
  type StoreObserver,
  type WorkQueueObserver,
} from './control-plane-metrics.js';
export { InstrumentedStore } from './instrumented-store.js';

/** The HorizontalPodAutoscaler controller (issue 16): metrics → replicas, behavior, scale to zero and back. */
export { DEFAULT_HPA_SYNC_PERIOD_SECONDS, HpaController, type HpaControllerDeps } from './hpa-controller.js';
export { formatMetricValue } from './metrics.js';
export { idleSeconds, scalesToZero } from './idle.js';

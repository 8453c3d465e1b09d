/** The hub's controllers: level-triggered reconcilers over shared informers, built on `../reconcile`. */
export { DEFAULT_EVENT_TTL_SECONDS, EventTtlController, type EventTtlDeps } from './event-ttl.js';
export { ReplicaSetController, type ReplicaSetControllerDeps } from './replicaset.js';
export { DeploymentController, type DeploymentControllerDeps } from './deployment.js';
export { EndpointsController, type EndpointsControllerDeps } from './endpoints.js';
export { DaemonSetController, shouldRunOn, type DaemonSetControllerDeps } from './daemonset.js';
export { JobController, type JobControllerDeps } from './job.js';
export { GarbageCollector, type GarbageCollectorDeps } from './garbage-collector.js';
export { NodeLifecycleController, type NodeLifecycleDeps, type NodeLifecycleOptions } from './node-lifecycle.js';
export type { ReportedStatus } from './node-status.js';
export { NODE_NOT_READY } from './node-status.js';
export { ZONE_LABEL, type ZoneEvictionOptions } from './zone-eviction.js';
export { REVISION_ANNOTATION, TEMPLATE_HASH_LABEL, templateHash, surgeAndUnavailable } from './rollout.js';
export {
  CONFIG_HASH_ANNOTATION,
  ROLLOUT_ON_CONFIG_CHANGE,
  ConfigRolloutController,
  type ConfigRolloutDeps,
} from './config-rollout.js';
export { DEFAULT_HPA_SYNC_PERIOD_SECONDS, HpaController, type HpaControllerDeps } from './hpa/index.js';
export { compileFromInformers, compileRoutes, type RouteInformers } from './routes-compile.js';
export { serviceNodePorts } from './routes-classes.js';
export { gatewayRouteName, type CompiledRoutes, type CompiledParentStatus, type RouteInputs } from './routes-model.js';
export { RouteController, type RouteControllerDeps } from './routes-controller.js';
export { CanaryController, type CanaryControllerDeps } from './canary/index.js';

/** The scheduler: filter and score plugins, and the queue that binds pods to nodes. */
export { Scheduler, type SchedulerDeps, type ScheduleResult } from './scheduler.js';
export { NodeAccounting, podRequests } from './accounting.js';
export { tolerates, tolerationFor } from './taints.js';
export {
  DEFAULT_FILTERS,
  DEFAULT_SCORES,
  IMAGE_ARCHITECTURES_ANNOTATION,
  nodeInfo,
  podInfo,
  type FilterPlugin,
  type NodeInfo,
  type PodInfo,
  type ScorePlugin,
} from './plugins.js';

/** Leader election among hubs on one etcd (issue 19): one leader runs the scheduler and controllers. */
export {
  DEFAULT_LEADER_ELECTION,
  LeaderElector,
  invalidTimings,
  type LeaderElectionTimings,
  type LeaderElectorOptions,
  type LeaderLock,
} from './leader-elector.js';
export { CurrentTerm, LeaderTerm, NotLeaderError, fenceObjectAPI, type Fence } from './fenced-api.js';
export { LeadershipTerms, type LeadershipTermsOptions, type TermLoops } from './leader-terms.js';
export { termInformer } from './term-informers.js';
export {
  HubPresence,
  PRESENCE_PREFIX,
  presenceKeyNames,
  type HubPeer,
  type HubPresenceOptions,
} from './hub-presence.js';
export {
  controlPlaneStatuses,
  storeMembers,
  type ControlPlaneView,
  type StoreMemberHealth,
} from './component-statuses.js';
export { LeaderMetrics } from './leader-metrics.js';
export { SharedUsage, USAGE_PREFIX, DEFAULT_USAGE_SHARE_PERIOD_MS, type SharedUsageOptions } from './usage-share.js';

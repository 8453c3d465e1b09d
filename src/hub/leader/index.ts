/** Leader election among hubs on one etcd (issue 19): one leader runs the scheduler and controllers. */
export { LeaderElector, type LeaderElectorOptions, type LeaderLock } from './leader-elector.js';

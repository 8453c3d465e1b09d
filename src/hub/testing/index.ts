/** Test helpers of the hub: a real API app over a temporary store, in-process or served. Tests only. */
export { createTestApi, type TestApi, type TestApiOptions, type TestUser } from './test-api.js';
export { startTestHub, type TestHub } from './test-hub.js';
export { shareClusterCa } from './shared-ca.js';
export { startRouteRig, type RouteRig, type RouteRigOptions } from './route-rig.js';
export { startGatewayHub, until, type TestHub as GatewayTestHub } from '../gateway/testing/raw-node.js';
export { CutProxy, type WireFrame } from '../gateway/testing/cut-proxy.js';

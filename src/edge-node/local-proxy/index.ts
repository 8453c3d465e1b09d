/** The node's local proxy for containers: Service-port listeners, the HTTP proxy, and the env vars pointing at them. */
export { LocalProxy, HTTP_PROXY_KEY, type LocalProxyDeps, type PortAssignmentStore } from './local-proxy.js';
export {
  LocalPortAllocator,
  DEFAULT_LOCAL_PORT_RANGE,
  type LocalPortRange,
  type PortAssignment,
} from './local-ports.js';
export { serviceEnv, envName, type ServiceEnvInput } from './service-env.js';
export type { PodCaller } from './pod-traffic.js';

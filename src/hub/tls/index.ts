/**
 * The hub's TLS: the cluster CA, the serving certificate (issued, reused, renewed live), the admin
 * kubeconfig and the pinned join token file.
 */
export { HubTls, type HubTlsOptions } from './hub-tls.js';
export { DEFAULT_CA_LIFETIME_SECONDS } from './cluster-ca.js';
export { DEFAULT_SERVING_CERT_LIFETIME_SECONDS, servingNames, type ServingNames } from './serving-cert.js';
export { writeAdminKubeconfig } from './kubeconfig.js';
export { writeJoinTokenFile } from './join-token-file.js';
export {
  DEFAULT_HANDSHAKE_GATE_LIMITS,
  DEFAULT_MAX_HANDSHAKES_IN_FLIGHT,
  HandshakeGate,
  type HandshakeGateCounts,
  type HandshakeGateLimits,
} from './handshake-gate.js';

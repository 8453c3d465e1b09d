/**
 * The node's Service mesh: the one surface the rest of the edge node (and tests outside this
 * folder) import. Rooms: `balancing/` (which endpoint), `delivery/` (getting a request to it),
 * `ingress/` (NodePorts, the mesh server), `egress/` (pods' outgoing calls, the containers' local
 * proxy), `http/` (shared HTTP plumbing), `trust/` (the hop's mTLS: material, whose certificate a
 * peer holds); `protocol.ts` is the node-to-node hop.
 */
export { ServiceMesh, labelZone, type ServiceMeshDeps, type MeshStart } from './service-mesh.js';
export { MeshIdentity } from './mesh-identity.js';
export { LocalPods, type LocalPod, type LocalTarget, type LocalTargetLookup, type PodCaller } from './local-pods.js';
export {
  RoundRobinPicker,
  type EndpointPicker,
  type PickContext,
  type PickOrigin,
  type PickOutcome,
  type ServiceEndpoint,
} from './balancing/endpoint-picker.js';
export { LeastLoadedPicker, type LeastLoadedPickerDeps } from './balancing/least-loaded-picker.js';
export { ServiceTable, type ServicePortRoute } from './balancing/service-table.js';
export { Deliverer, type DelivererDeps } from './delivery/deliverer.js';
export { MeshServer, type MeshBlobHandler, type MeshServerDeps } from './ingress/mesh-server.js';
export { clientConnectOptions, type MeshTlsMaterial, type MeshTransport } from './trust/tls-material.js';
export { NODE_NAME_PREFIX, NODES_GROUP, nodeCommonName } from './trust/node-peer.js';
export { NodePortProxy, type NodePortProxyDeps } from './ingress/node-port-proxy.js';
export { ALLOWED_OUTGOING_HOSTS_ANNOTATION } from './egress/egress-policy.js';
export { DEFAULT_LOCAL_PORT_RANGE, type LocalPortRange } from './egress/local-ports.js';
export type { PortAssignmentStore } from './egress/local-proxy.js';
export { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './http/listener-limits.js';
export {
  CODE_CLASSES,
  LATENCY_BUCKETS_MS,
  RequestAccounting,
  errorCounts,
  type RequestCounters,
} from './accounting/request-accounting.js';
export { MESH_PORT_HEADER, MESH_TARGET_HEADER } from './protocol.js';
export {
  RelayDialer,
  RelayListener,
  RelayMetrics,
  type LatencyCounts,
  type PeerDialer,
  type RelayHubLink,
  type RelayMode,
  type RelayDialerStats,
  type RelayListenerStats,
} from './relay/index.js';

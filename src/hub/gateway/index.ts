/** The node gateway: WebSocket sessions with edge nodes. */
export { NodeGateway, type NodeGatewayDeps, type GatewayAuth } from './gateway.js';
export { MeshRelay, type MeshRelayLimits, type MeshRelayStats, type RelayPeerHub } from './relay/index.js';
export { registerNode } from './node-registration.js';
export { DEFAULT_MAX_HEARTBEATS_PER_SECOND, HeartbeatPace, type HeartbeatPaceOptions } from './heartbeat-pace.js';
export { PodWriter } from './pod-writer.js';
export { buildServiceRoutes } from './routes.js';

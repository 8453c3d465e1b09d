/** The hub's mesh relay for nodes that cannot reach each other directly (wire: `src/api/wire-relay.ts`). */
export {
  MeshRelay,
  DEFAULT_RELAY_LIMITS,
  type MeshRelayLimits,
  type MeshRelayStats,
  type RelayPeerHub,
} from './mesh-relay.js';

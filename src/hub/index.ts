/** The hub's public surface for embedding (tests, the demo, benchmarks). */
export { Hub, type HubOptions } from './hub.js';
export { HUB_VERSION } from './version.js';
export {
  MeshRelay,
  DEFAULT_RELAY_LIMITS,
  type MeshRelayLimits,
  type MeshRelayStats,
  type RelayPeerHub,
} from './gateway/relay/index.js';

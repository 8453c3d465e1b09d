/**
 * The mesh relay through the hub for peers this node cannot reach directly (and for this node, when
 * peers cannot reach it): `RelayDialer` plugs into the peer pools as their `PeerDialer`;
 * `RelayListener` takes the connections the hub offers. Wire: `src/api/wire-relay.ts`.
 */
export type { PeerDialer, PeerDial, Connector } from './peer-dialer.js';
export { RelayDialer, type RelayDialerDeps, type RelayDialerStats, type RelayMode } from './relay-dialer.js';
export { RelayListener, type RelayListenerDeps, type RelayListenerStats } from './relay-listener.js';
export { RelayUnavailableError, type RelayHubLink } from './relay-socket.js';
export { RelayMetrics, type LatencyCounts, type PeerPath, type RelayDirectionCounts } from './relay-metrics.js';

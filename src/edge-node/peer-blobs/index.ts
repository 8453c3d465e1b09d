/**
 * Peer-to-peer component distribution within a zone (issue 20): the node's fetch that asks its zone's
 * peers before the hub, and its mesh server's answer to peers asking it.
 */
export { zonePeerFetcher, type ZonePeerFetcherDeps, type ZoneFetchStats } from './zone-fetcher.js';
export { peerBlobHandler, type PeerBlobServerDeps, type PeerBlobServerStats } from './blob-server.js';
export { hubBlobSources, type HubBlobSourcesOptions } from './hub-sources.js';
export type { PeerConnect } from './peer-get.js';

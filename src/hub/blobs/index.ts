/** The hub's content-addressed blob store and its garbage collector. */
export { BlobStore } from './blob-store.js';
export {
  BlobQuotaExceededError,
  DEFAULT_BLOB_STORE_MAX_BYTES,
  DEFAULT_MAX_BLOB_BYTES,
  type BlobPeerSource,
  type BlobSource,
  type BlobStoreOptions,
  type OpenBlob,
  type PutResult,
  type StoredBlob,
} from './blob-types.js';
export { EncodedCopies, encodedCopyPaths } from './encoded-copies.js';
export {
  BlobGarbageCollector,
  DEFAULT_BLOB_GC_GRACE_SECONDS,
  imagesOf,
  type BlobGarbageCollectorDeps,
} from './blob-gc.js';
export { BlobPeers, PEER_BLOB_PATH, type BlobPeersOptions } from './blob-peers.js';
export { HUB_PEERS_GROUP, HubPeerIdentity, type HubPeerIdentityOptions } from './peer-identity.js';
export { mountPeerBlobRoutes } from './peer-routes.js';

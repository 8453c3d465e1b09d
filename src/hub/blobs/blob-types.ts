/**
 * The shapes and bounds of the hub's blob store (`blob-store.ts`): its options and defaults, the quota
 * error (HTTP 507), what a put returns, an opened and a stored blob, and the peers it replicates through.
 */
import type { ReadStream } from 'node:fs';
import { EdgeError, StatusReason } from '../../api/index.js';
import type { ContentSource } from '../../distribution/index.js';

/** Default largest blob accepted: 256 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;
/** Default total size of the store: 10 GiB. */
export const DEFAULT_BLOB_STORE_MAX_BYTES = 10 * 1024 * 1024 * 1024;

/**
 * The store's quota would be passed (HTTP 507 Insufficient Storage). The reason is
 * RequestEntityTooLarge, the closest Kubernetes reason, so every client maps it to a known error.
 */
export class BlobQuotaExceededError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.RequestEntityTooLarge, 507, message);
  }
}

/** Options of `BlobStore.create`. */
export interface BlobStoreOptions {
  dir: string;
  /** Largest blob accepted (413 beyond); default 256 MiB. */
  maxBytes?: number;
  /** Total bytes the store may hold, uploads in flight included (507 beyond); default 10 GiB. */
  quotaBytes?: number;
  /** Directory of the blobs' encoded copies (`encoded-copies.ts`); default `<dir>-encoded`. */
  encodedDir?: string;
}

/**
 * The other hubs, as the store uses them (BlobPeers). Their own requests to this hub read and write
 * this store only (`replica`/`local`), so a pull or a push never bounces between hubs.
 */
export interface BlobPeerSource {
  /** Fetches `digest` from a peer into `store` (verified); false when no live peer has it. */
  pull(digest: `sha256:${string}`): Promise<boolean>;
  /** Makes sure every live peer holds `digest` (stored here); failures are logged, never thrown. */
  push(digest: `sha256:${string}`): Promise<void>;
}

/** What `put` accepts: bytes or a stream of byte chunks (web or Node). */
export type BlobSource = ContentSource;

/** Result of a put. */
export interface PutResult {
  digest: `sha256:${string}`;
  size: number;
  /** False when the blob was already stored. */
  created: boolean;
}

/** An opened blob. */
export interface OpenBlob {
  size: number;
  stream: ReadStream;
}

/** A stored blob, as `collect()` sees it. */
export interface StoredBlob {
  digest: `sha256:${string}`;
  size: number;
  /** Last upload of this content (ms since the epoch): the start of its grace period. */
  uploadedMs: number;
}

const GIB = 1024 * 1024 * 1024;
/** A byte count for a message: GiB, MiB or bytes. */
export const human = (n: number): string =>
  n >= GIB ? `${(n / GIB).toFixed(2)} GiB` : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n} bytes`;

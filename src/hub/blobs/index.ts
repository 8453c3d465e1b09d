/** The hub's content-addressed blob store and its garbage collector. */
export {
  BlobQuotaExceededError,
  BlobStore,
  DEFAULT_BLOB_STORE_MAX_BYTES,
  DEFAULT_MAX_BLOB_BYTES,
  type BlobSource,
  type BlobStoreOptions,
  type OpenBlob,
  type PutResult,
  type StoredBlob,
} from './blob-store.js';
export {
  BlobGarbageCollector,
  DEFAULT_BLOB_GC_GRACE_SECONDS,
  imagesOf,
  type BlobGarbageCollectorDeps,
} from './blob-gc.js';

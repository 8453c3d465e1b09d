/** The hub's content-addressed blob store. */
export { BlobStore, DEFAULT_MAX_BLOB_BYTES, type BlobSource, type BlobStoreOptions, type OpenBlob, type PutResult } from './blob-store.js';

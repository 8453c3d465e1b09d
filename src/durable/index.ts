/**
 * Durable files: the one place that knows how to publish a file or directory so that a power cut
 * leaves the old or the new content. Used by the hub (tokens, blobs), the agent (local state) and both
 * runtimes (image caches, snapshots, transpiled modules). Imports no other area.
 */
export {
  fsyncDir,
  fsyncDirSync,
  fsyncFileSync,
  fsyncTreeSync,
  publishDurable,
  writeFileDurable,
  writeFileDurableSync,
} from './durable-file.js';
export { readIfExists } from './read-if-exists.js';
export {
  DataDirInUseError,
  LOCK_FILE,
  acquireDataDirLock,
  prepareDataDir,
  processStartTime,
  type DataDirLock,
} from './data-dir-lock.js';

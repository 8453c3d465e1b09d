/**
 * Public surface of src/platform: the process plumbing shared by the three programs and both runtimes —
 * the logger (`createLogger`, `silentLogger`), the CRI container log writer the runtimes write and
 * the agent reads, worker threads started from compiled or source entries (`spawnWorker`), and undici
 * loaded on first use (`undici`). Imports only src/api.
 */
export { createLogger, silentLogger } from './logging.js';
export { spawnWorker } from './spawn-worker.js';
export { undici } from './undici.js';
export {
  CriLogWriter,
  DEFAULT_CRI_LOG_ROTATION,
  DEFAULT_MAX_PENDING_LOG_BYTES,
  type CriLogRotation,
} from './cri-log.js';

/**
 * The logger contract every area takes as a dependency: pino's `Logger` (structured, with `child()`).
 * Making one is process plumbing (src/platform's `createLogger`); src/api only names the type.
 */
export type { Logger } from 'pino';

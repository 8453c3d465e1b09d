/** The hub's HTTP API server (Hono). */
export { createApiApp } from './app.js';
export type { ApiDeps, ApiEnv, PodExecOptions, PodExecResult, PodExecSource, PodLogOptions, PodLogSource } from './types.js';
export { DEFAULT_MAX_BODY_BYTES } from './body.js';
export { mergePatch, jsonPatch } from './patch.js';

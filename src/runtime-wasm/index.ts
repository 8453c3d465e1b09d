/**
 * Public surface of runtime-wasm: the `Runtime` for `runtimeClassName: wasm`.
 * Everything else in this folder is internal (executors, host imports, caches).
 */
export { WasmRuntime, type WasmRuntimeDeps } from './wasm-runtime.js';
export type { FetchBlob } from './image-store.js';
export { KILLED_EXIT_CODE } from './wasm-container.js';

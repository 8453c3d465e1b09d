/**
 * Public surface of runtime-wasm: the `Runtime` for `runtimeClassName: wasm`.
 * Everything else in this folder is internal (executors, pools, the WASI host, caches).
 */
export { WasmRuntime, type WasmRuntimeDeps } from './wasm-runtime.js';
export type { FetchBlob } from './images/image-store.js';
export { KILLED_EXIT_CODE } from './exit-codes.js';

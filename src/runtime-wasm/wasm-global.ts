/**
 * The `WebAssembly` global, typed for the few members we use. The project compiles without the DOM
 * lib and @types/node 20 does not declare the `WebAssembly` namespace, so we give our own types.
 */

/** A compiled core module (`WebAssembly.Module`): opaque here; it can be posted to workers. */
export type CoreModule = object;

/** A linear memory (`WebAssembly.Memory`). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A core instance (`WebAssembly.Instance`). */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WebAssemblyValue {
  compile(bytes: Uint8Array): Promise<CoreModule>;
  instantiate(module: CoreModule, imports?: Record<string, Record<string, unknown>>): Promise<WasmInstance>;
  Memory: abstract new (...args: never[]) => WasmMemory;
  RuntimeError: abstract new (...args: never[]) => Error;
}

/** The `WebAssembly` global with the types above. */
export const wasmGlobal = (globalThis as unknown as { WebAssembly: WebAssemblyValue }).WebAssembly;

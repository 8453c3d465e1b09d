/**
 * The `WebAssembly` global, typed for the few members we use. The project compiles without the DOM
 * lib and @types/node 20 does not declare the `WebAssembly` namespace, so we give our own types.
 */

/** A compiled core module (`WebAssembly.Module`): opaque here; it can be posted to workers. */
export type CoreModule = object;

interface WebAssemblyValue {
  compile(bytes: Uint8Array): Promise<CoreModule>;
  RuntimeError: abstract new (...args: never[]) => Error;
}

export const wasmGlobal = (globalThis as unknown as { WebAssembly: WebAssemblyValue }).WebAssembly;

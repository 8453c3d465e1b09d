/**
 * runtime-wasm's test surface: real components built from the test sources and a real WasmRuntime over
 * a temporary directory, for tests of this area and of the agent that drive Wasm pods in-process.
 */
export {
  ROOT,
  addBlob,
  buildComponent,
  containerConfig,
  nextExit,
  run,
  runtimeSuite,
  send,
  sha256,
  startRuntime,
  text,
  until,
  type RuntimeSuite,
} from './runtime-harness.js';

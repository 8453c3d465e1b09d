/**
 * Public surface of runtime-oci: the `Runtime` for `runtimeClassName: oci` with its adapters (runc;
 * the Engine API of dockerd and podman). The registry client, references and Wasm OCI artifacts are
 * src/distribution's. Everything else in this folder is internal.
 */
export type {
  ExecResult,
  OciContainerSpec,
  OciContainerState,
  OciEndpoint,
  OciExit,
  OciRuntimeAdapter,
  PullOpts,
} from './adapter.js';
export { OciRuntime, LABELS, type OciRuntimeDeps } from './oci-runtime.js';
export { RuncAdapter, type RuncAdapterDeps } from './runc/runc-adapter.js';
export { EngineAdapter, type EngineAdapterDeps } from './engine/engine-adapter.js';
export { PodNetwork, type PodNetworkDeps, type PodAttachment } from './network/pod-network.js';
export { existingCgroupDirs } from './runc/cgroups.js';
export { mountsUnder } from './unpack/overlay.js';
export { createOciRuntime, OCI_ADAPTERS, DEFAULT_SOCKETS, type OciSetup, type OciAdapterName } from './setup.js';

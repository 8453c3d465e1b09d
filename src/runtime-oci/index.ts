/**
 * Public surface of runtime-oci: the `Runtime` for `runtimeClassName: oci` with its adapters (runc;
 * the Engine API of dockerd and podman), the registry client, and the Wasm OCI artifact puller the
 * Wasm runtime can use. Everything else in this folder is internal.
 */
export type {
  ExecResult,
  OciContainerSpec,
  OciContainerState,
  OciEndpoint,
  OciExit,
  OciRuntimeAdapter,
  Platform,
  PullOpts,
  RegistryAuth,
} from './adapter.js';
export { OciRuntime, LABELS, type OciRuntimeDeps } from './oci-runtime.js';
export { RuncAdapter, type RuncAdapterDeps } from './runc/runc-adapter.js';
export { EngineAdapter, type EngineAdapterDeps } from './engine/engine-adapter.js';
export { PodNetwork, type PodNetworkDeps, type PodAttachment } from './network/pod-network.js';
export { RegistryClient, type RegistryClientDeps } from './image/registry-client.js';
export { RegistryCredentials } from './image/credentials.js';
export { parseImageReference, formatReference, type ImageReference } from './image/reference.js';
export {
  pullWasmArtifact,
  resolveWasmArtifact,
  fetchWasmComponent,
  type WasmArtifact,
  type ResolvedWasmArtifact,
  type PullWasmOptions,
} from './image/wasm-artifact.js';
export { existingCgroupDirs } from './runc/cgroups.js';
export { mountsUnder } from './unpack/overlay.js';
export { createOciRuntime, OCI_ADAPTERS, DEFAULT_SOCKETS, type OciSetup, type OciAdapterName } from './setup.js';

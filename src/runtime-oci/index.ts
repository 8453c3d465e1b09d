/** The OCI runtime seam: adapters (runc, Engine API) implement `OciRuntimeAdapter`. */
export type { ExecResult, OciContainerSpec, OciContainerState, OciRuntimeAdapter, Platform } from './adapter.js';

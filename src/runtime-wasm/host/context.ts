/**
 * Shared types of the worker-side WASI host: the per-instance state every host function sees, and
 * the shape of a core-level import implementation.
 *
 * Host functions are written against the canonical ABI's *core* signatures (flat `i32`/`i64`
 * parameters, results written at a return pointer), so a guest's call reaches them without jco's
 * generated lifting/lowering glue (which costs tens of microseconds per call).
 */
import type { MountGrant } from './fs-paths.js';
import type { GuestMemory } from './guest-memory.js';
import type { OutgoingHttpPolicy } from './outgoing.js';
import type { HostBytes } from './host-bytes.js';
import type { SharedBytes } from './io-resources.js';
import type { ResourceTable } from './resource-table.js';
import type { StdioPort } from '../stdio/index.js';

/** Receives the guest's stdout/stderr bytes (the host's own copy). */
export type OutputSink = (stream: 'stdout' | 'stderr', data: Uint8Array) => void;

/** What one component instance is granted, plus its handle table. */
export interface InstanceState {
  table: ResourceTable;
  /** Bytes the host buffers for the instance (bodies it writes), against its budget. */
  hostBytes: HostBytes;
  /** `wasi:cli/environment`: the pod's env only, never the agent's. */
  env: Array<[string, string]>;
  args: string[];
  /** `wasi:cli/stdin`: what an exec was given (`kubectl exec -i`); absent: empty. */
  stdin?: SharedBytes;
  /** `wasi:cli/stdin` of a streaming exec: the client's bytes as they come (takes precedence over `stdin`). */
  stdio?: StdioPort;
  /** `wasi:filesystem/preopens`: the container's mounts, nothing else of the node's disk. */
  mounts: readonly MountGrant[];
  /** `wasi:config/store`: the container's config entries. */
  config: ReadonlyMap<string, string>;
  output: OutputSink;
  outgoing: OutgoingHttpPolicy;
}

/** What a core import implementation is bound to: the importing module's memory, the instance. */
export interface CoreContext {
  mem: GuestMemory;
  state: InstanceState;
}

/** A core-level import function (flat canonical ABI parameters). */
export type CoreFunction = (...args: never[]) => unknown;

/** Builds one import function for one core instance. */
export type ImportFactory = (ctx: CoreContext) => CoreFunction;

/** The functions of one WIT interface by canonical import name (`[method]fields.get`, `now`, ...). */
export type InterfaceImports = Readonly<Record<string, ImportFactory>>;

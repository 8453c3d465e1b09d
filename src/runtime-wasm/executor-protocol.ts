/**
 * Messages between the agent's main thread and an executor worker. Both sides import only these
 * types; everything crossing the boundary is structured-clone friendly (no classes, no functions).
 */
import type { CoreModule } from './wasm-global.js';

/** What an instance is granted by its pod (and nothing more). */
export interface InstanceGrant {
  /** Environment variables the guest sees (`wasi:cli/environment`). */
  env: Record<string, string>;
  /** argv; argv[0] is the container name. */
  args: string[];
}

/** Everything a worker needs to instantiate one component. */
export interface InstanceSpec {
  instanceId: string;
  /** `file:` URL of the transpiled component's `component.js`. */
  jsUrl: string;
  /** Compiled core modules by the file name the bindings ask for (`component.core.wasm`, ...). */
  modules: Record<string, CoreModule>;
  grant: InstanceGrant;
}

/** An HTTP request as posted to the worker (the deadline stays on the main thread). */
export interface WireRequest {
  method: string;
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface WireResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** How an instance ended on its own: `exit(n)`, or a trap / uncaught host error. */
export type InstanceEnd = { kind: 'exit'; code: number } | { kind: 'trap'; message: string };

/** What the component exports that the runtime knows how to drive. */
export interface InstanceExports {
  http: boolean;
  run: boolean;
}

export type ToWorker =
  | { type: 'instantiate'; spec: InstanceSpec }
  | { type: 'request'; instanceId: string; reqId: number; request: WireRequest }
  | { type: 'run'; instanceId: string };

export type FromWorker =
  | { type: 'instantiated'; instanceId: string; exports: InstanceExports }
  | { type: 'instantiate-failed'; instanceId: string; message: string }
  | { type: 'response'; instanceId: string; reqId: number; response: WireResponse }
  /** The request failed; `end` is set when the instance is gone as a result. */
  | { type: 'request-failed'; instanceId: string; reqId: number; message: string; end?: InstanceEnd }
  /** A command's `run` finished (or the instance exited/trapped while running it). */
  | { type: 'run-finished'; instanceId: string; end: InstanceEnd }
  | { type: 'output'; instanceId: string; stream: 'stdout' | 'stderr'; data: Uint8Array };

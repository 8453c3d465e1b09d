/**
 * Test support for outgoing HTTP (not a test): a WasmRuntime whose outgoing handler behaves like the
 * node's mesh — `http://<name>[:port]/...` goes in-process to the container registered as `<name>`
 * of the same runtime, hosts listed in `special` get their own behaviour, anything else is denied.
 */
import { OutgoingHttpError } from '../../api/index.js';
import type { OutgoingCaller, OutgoingHttpHandler, WorkloadRequest, WorkloadResponse } from '../../api/index.js';
import type { WasmRuntime, WasmRuntimeDeps } from '../index.js';
import { startRuntime } from './runtime-harness.js';

/** One call as the handler saw it. */
export interface SeenCall {
  caller: OutgoingCaller;
  req: WorkloadRequest;
}

/** A runtime with a mesh-like handler (see the file comment). */
export async function startMeshRuntime(
  dataDir: string,
  blobs: Map<string, Uint8Array>,
  opts: Partial<WasmRuntimeDeps> = {},
  sharedTranspiled?: string,
) {
  /** Service name → container id (in this runtime). */
  const services = new Map<string, string>();
  /** Host → what answers it instead of a container. */
  const special = new Map<string, OutgoingHttpHandler>();
  const seen: SeenCall[] = [];
  /** The runtime the handler delivers to, once it is started. */
  const target: { runtime?: WasmRuntime } = {};
  const handler: OutgoingHttpHandler = (caller, req) => {
    seen.push({ caller, req });
    const host = req.authority.split(':')[0] ?? '';
    const own = special.get(host);
    if (own) return own(caller, req);
    const id = services.get(host);
    const runtime = target.runtime;
    if (!id || !runtime)
      return Promise.reject(
        new OutgoingHttpError('denied', `${host} is not a Service ${caller.namespace}/${caller.name} may reach`),
      );
    const ep = runtime.endpoint(id, 8080);
    if (ep.kind !== 'in-process') return Promise.reject(new OutgoingHttpError('internal', `${host} is not in-process`));
    return ep.handle(req);
  };
  const h = await startRuntime(dataDir, blobs, { ...opts, outgoingHttp: handler }, sharedTranspiled);
  target.runtime = h.runtime;
  return { ...h, services, special, seen };
}

/** A handler answer that never comes. */
export const never: OutgoingHttpHandler = () => new Promise<WorkloadResponse>(() => undefined);

/** The JSON document of a response. */
export function json(res: WorkloadResponse): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(res.body)) as Record<string, unknown>;
}

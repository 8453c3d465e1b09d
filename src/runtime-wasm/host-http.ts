/**
 * Feeds one HTTP request to a component's exported `wasi:http/incoming-handler#handle` and collects
 * the response (worker side).
 *
 * This is the one module that knows how `wasi:http` incoming requests and response outparams are
 * made; it uses preview2-shim's in-memory (browser build) types for now. A faster host
 * implementation replaces this module without touching its callers.
 */
import type { WireRequest, WireResponse } from './executor-protocol.js';
import type { WasiShim } from './wasi-shim.js';

/** The component export, as the bindings present it. */
export interface IncomingHandlerExport {
  handle(request: unknown, responseOut: unknown): void;
}

/** Hop-by-hop headers and `host` are not part of a `wasi:http` request's fields. */
const DROPPED_REQUEST_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

/** The guest call itself failed (trap, exit, host error inside the call): the instance is unusable. */
export class GuestCallError extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'GuestCallError';
  }
}

function toFetchRequest(req: WireRequest): Request {
  const authority = /^[A-Za-z0-9.\-[\]:]+$/.test(req.authority) ? req.authority : 'localhost';
  const url = new URL(req.path.startsWith('/') ? req.path : `/${req.path}`, `${req.scheme}://${authority}`);
  const headers = new Headers();
  for (const [name, value] of req.headers) {
    if (!DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers.append(name, value);
  }
  const method = req.method.toUpperCase();
  const hasBody = req.body.byteLength > 0 && method !== 'GET' && method !== 'HEAD';
  return new Request(url, { method, headers, body: hasBody ? req.body : null });
}

/**
 * Calls the guest's handler with `req`. Throws {@link GuestCallError} when the guest call itself
 * threw (the caller ends the instance); any other error is about this request only.
 */
export async function serveHttpRequest(shim: WasiShim, handler: IncomingHandlerExport, req: WireRequest): Promise<WireResponse> {
  const request = toFetchRequest(req);
  let guestFailure: GuestCallError | undefined;
  let response: Response;
  try {
    response = await shim.http.handleIncomingRequest(request, (incoming, responseOut) => {
      try {
        handler.handle(incoming, responseOut);
      } catch (err) {
        guestFailure = new GuestCallError(err);
        throw guestFailure;
      }
    });
  } catch (err) {
    throw guestFailure ?? err;
  }
  const body = new Uint8Array(await response.arrayBuffer());
  const headers: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.push([name, value]);
  });
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  return { status: response.status, headers, body };
}

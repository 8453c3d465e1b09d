// The HTTP plumbing the three shop components share (imported as ../lib/http.js; the build bundles
// it into each component): answering a request, reading env, and calling another Service through
// the node's mesh with wasi:http/outgoing-handler, synchronously.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import {
  Fields,
  IncomingBody,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  ResponseOutparam,
} from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The value of env var `name`, or `fallback`. */
export function env(name, fallback = null) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return fallback;
}

/** Who is answering: the pod and node names the manifest passes in (fieldRef). */
export function whoami() {
  return { pod: env('POD_NAME'), node: env('NODE_NAME') };
}

/** Answers the request with `status` and `text`. */
export function respond(responseOut, status, contentType, text) {
  const headers = Fields.fromList([['content-type', encoder.encode(contentType)]]);
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(text));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

/** Answers with a JSON document. */
export function json(responseOut, status, doc) {
  respond(responseOut, status, 'application/json', JSON.stringify(doc) + '\n');
}

/** The request's method and URL (path and query; the host part is a placeholder). */
export function requestLine(request) {
  return { method: request.method().tag, url: new URL(request.pathWithQuery() ?? '/', 'http://shop.invalid') };
}

/** The wasi:http error-code a failed call carries (`HTTP-request-denied`, `DNS-error`, …). */
function errorTag(err) {
  const payload = err && typeof err === 'object' && 'payload' in err ? err.payload : err;
  if (payload && typeof payload === 'object' && typeof payload.tag === 'string') return payload.tag;
  return String(err);
}

/** Reads a whole incoming body. */
function readAll(incomingBody) {
  const stream = incomingBody.stream();
  const chunks = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(65536n);
    } catch (err) {
      if (errorTag(err) === 'closed') break;
      throw err;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  stream[Symbol.dispose]();
  IncomingBody.finish(incomingBody)[Symbol.dispose](); // no trailers wanted: drop their future at once
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return decoder.decode(all);
}

/**
 * GETs `url` (e.g. `http://catalog/items`: a Service, resolved by the node's mesh) and waits for the
 * answer. Returns `{status, text}`, or `{error}` with the wasi:http error code when the node refused
 * or could not deliver the call (`HTTP-request-denied` for a host that is not a Service).
 */
export function get(url) {
  const u = new URL(url);
  const request = new OutgoingRequest(Fields.fromList([['accept', encoder.encode('application/json')]]));
  request.setMethod({ tag: 'get' });
  request.setScheme({ tag: u.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
  request.setAuthority(u.host);
  request.setPathWithQuery(`${u.pathname}${u.search}`);
  OutgoingBody.finish(request.body(), undefined);
  let future;
  try {
    future = handle(request, undefined);
  } catch (err) {
    return { error: errorTag(err) };
  }
  const pollable = future.subscribe();
  pollable.block();
  pollable[Symbol.dispose]();
  // option<result<result<incoming-response, error-code>>>: ready after block(); the outer result
  // is err only when asked twice.
  const outcome = future.get();
  future[Symbol.dispose]();
  if (outcome === undefined || outcome.tag === 'err') return { error: 'internal-error' };
  if (outcome.val.tag === 'err') return { error: errorTag(outcome.val.val) };
  const response = outcome.val.val;
  const status = response.status();
  const body = response.consume();
  const text = readAll(body);
  response[Symbol.dispose]();
  return { status, text };
}

/** GETs `url` and parses a JSON answer; `{doc}` on a 2xx JSON answer, else `{error}` saying why. */
export function getJson(url) {
  const r = get(url);
  if (r.error) return { error: r.error };
  let doc;
  try {
    doc = JSON.parse(r.text);
  } catch {
    return { error: `HTTP ${r.status}: not JSON: ${r.text.slice(0, 200)}` };
  }
  if (r.status < 200 || r.status > 299) return { error: `HTTP ${r.status}`, doc };
  return { doc };
}

/** A readiness window from env (ms since the epoch): not ready from UNREADY_FROM until UNREADY_UNTIL. */
export function readyNow(now = Date.now()) {
  const from = Number(env('UNREADY_FROM', 'NaN'));
  const until = Number(env('UNREADY_UNTIL', 'Infinity'));
  return !(Number.isFinite(from) && now >= from && now < until);
}

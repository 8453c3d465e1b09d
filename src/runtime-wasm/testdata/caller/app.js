// caller: a test fixture for outgoing HTTP. It uses wasi:http/outgoing-handler directly and
// synchronously (a guest call cannot be suspended on Node 20), like examples/wasm-apps/hello uses the
// incoming types.
//   ANY  /call?url=U[&timeoutMs=N]   calls U with the same method, headers x-* and body; the body is
//                                    written *after* handle(), so the host must send at finish.
//                                    200 JSON {status, headers, body, readyBeforeBlock, noneBeforeBlock}
//                                    or 502 JSON {error, message} with the wasi:http error code.
//   GET  /poll?url=U                 the call waited with wasi:io/poll.poll over its pollable and a
//                                    clock pollable 30 s away; 200 JSON {status, body, rounds}
//   GET  /pair?url=U&url=V           two calls in flight at once, both waited with one poll list;
//                                    200 JSON {bodies: [..]}
//   GET  /forget?url=U               starts a call and drops its future without waiting; 200 "forgot"
//   GET  /recurse?host=H             calls http://H/recurse?host=H (a service calling itself) and
//                                    answers with what it got, one level deeper each time
import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { poll } from 'wasi:io/poll@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';
import {
  Fields,
  IncomingBody,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
} from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function respond(responseOut, status, doc) {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc) + '\n';
  const headers = Fields.fromList([
    ['content-type', encoder.encode(typeof doc === 'string' ? 'text/plain' : 'application/json')],
  ]);
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(text));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

/** The error-code of a failed call as {error, message}. */
function describe(code) {
  if (code && typeof code === 'object' && typeof code.tag === 'string') {
    return code.tag === 'internal-error' ? { error: code.tag, message: code.val ?? null } : { error: code.tag };
  }
  return { error: 'unknown', message: String(code) };
}

function readAll(incomingBody) {
  const stream = incomingBody.stream();
  const chunks = [];
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(4096n);
    } catch (err) {
      const tag = err && err.payload && err.payload.tag;
      if (tag === 'closed') break;
      throw err;
    }
    chunks.push(chunk);
  }
  stream[Symbol.dispose]();
  IncomingBody.finish(incomingBody);
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

function readRequestBody(request) {
  const body = request.consume();
  return readAll(body);
}

/** Starts a call; returns {future} or {failed} when handle() refused it at once. */
function start(method, url, headers, body, timeoutMs) {
  const u = new URL(url);
  const request = new OutgoingRequest(Fields.fromList(headers));
  request.setMethod({ tag: method });
  request.setScheme({ tag: u.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
  request.setAuthority(u.host);
  request.setPathWithQuery(`${u.pathname}${u.search}`);
  const outgoingBody = request.body();
  let options;
  if (timeoutMs !== null) {
    options = new RequestOptions();
    options.setFirstByteTimeout(BigInt(timeoutMs) * 1_000_000n);
  }
  let future;
  try {
    future = handle(request, options);
  } catch (err) {
    OutgoingBody.finish(outgoingBody, undefined);
    return { failed: describe(err.payload) };
  }
  // The body goes after handle(): the request is on its way only once it is finished.
  if (body && body.length > 0) {
    const stream = outgoingBody.write();
    for (let at = 0; at < body.length; at += 1000) stream.blockingWriteAndFlush(body.subarray(at, at + 1000));
    stream[Symbol.dispose]();
  }
  OutgoingBody.finish(outgoingBody, undefined);
  return { future };
}

/** Takes a ready future's outcome (unless already taken): {status, headers, body} or {error, message}. */
function finish(future, taken) {
  const outcome = taken ?? future.get();
  future[Symbol.dispose]();
  if (outcome === undefined) return { error: 'not-ready' };
  if (outcome.tag === 'err') return { error: 'taken-twice' };
  if (outcome.val.tag === 'err') return describe(outcome.val.val);
  const response = outcome.val.val;
  const status = response.status();
  const headers = response
    .headers()
    .entries()
    .map(([k, v]) => [k, decoder.decode(v)]);
  const body = decoder.decode(readAll(response.consume()));
  response[Symbol.dispose]();
  return { status, headers, body };
}

function call(request, url) {
  const method = request.method().tag;
  const passed = request
    .headers()
    .entries()
    .filter(([k]) => k.startsWith('x-'));
  const body = method === 'get' || method === 'head' ? null : readRequestBody(request);
  const q = new URL(request.pathWithQuery() ?? '/', 'http://caller.invalid').searchParams;
  const timeoutMs = q.get('timeoutMs') === null ? null : Number(q.get('timeoutMs'));
  const started = start(method, url, passed, body, timeoutMs);
  if (started.failed) return started.failed;
  const pollable = started.future.subscribe();
  const readyBeforeBlock = pollable.ready();
  // get() before the answer is there is none; if the answer just came, this takes it (once).
  const early = readyBeforeBlock ? undefined : started.future.get();
  const noneBeforeBlock = readyBeforeBlock ? null : early === undefined;
  pollable.block();
  const readyAfterBlock = pollable.ready();
  pollable[Symbol.dispose]();
  return { ...finish(started.future, early), readyBeforeBlock, noneBeforeBlock, readyAfterBlock };
}

function viaPoll(url) {
  const started = start('get', url, [], null, null);
  if (started.failed) return started.failed;
  const pollable = started.future.subscribe();
  const clock = subscribeDuration(30_000_000_000n);
  let rounds = 0;
  for (;;) {
    rounds++;
    const ready = poll([clock, pollable]);
    if (ready.includes(1)) break;
    if (ready.includes(0)) return { error: 'clock fired first' };
  }
  pollable[Symbol.dispose]();
  clock[Symbol.dispose]();
  return { ...finish(started.future), rounds };
}

function pair(urls) {
  const futures = urls.map((u) => start('get', u, [], null, null));
  if (futures.some((f) => f.failed)) return { error: 'refused' };
  const pollables = futures.map((f) => f.future.subscribe());
  const done = new Set();
  while (done.size < pollables.length) {
    const open = pollables.map((p, i) => [p, i]).filter(([, i]) => !done.has(i));
    for (const j of poll(open.map(([p]) => p))) done.add(open[j][1]);
  }
  pollables.forEach((p) => p[Symbol.dispose]());
  return { bodies: futures.map((f) => finish(f.future).body) };
}

export const incomingHandler = {
  handle(request, responseOut) {
    const url = new URL(request.pathWithQuery() ?? '/', 'http://caller.invalid');
    const target = url.searchParams.get('url');
    switch (url.pathname) {
      case '/call': {
        const r = call(request, target);
        return respond(responseOut, r.error ? 502 : 200, r);
      }
      case '/poll': {
        const r = viaPoll(target);
        return respond(responseOut, r.error ? 502 : 200, r);
      }
      case '/pair': {
        const r = pair(url.searchParams.getAll('url'));
        return respond(responseOut, r.error ? 502 : 200, r);
      }
      case '/recurse': {
        const host = url.searchParams.get('host');
        const r = call(request, `http://${host}/recurse?host=${host}`);
        return respond(responseOut, r.error ? 502 : 200, r);
      }
      case '/forget': {
        const started = start('get', target, [], null, null);
        if (started.future) started.future[Symbol.dispose]();
        return respond(responseOut, 200, 'forgot\n');
      }
      default:
        return respond(responseOut, 404, 'no route\n');
    }
  },
};

// hello-v2: the second build of hello, for rollouts (tests, benchmarks, demos): the same component
// with a different answer, so a client can tell which version served it. Answers every GET with a
// small JSON document naming the pod and node it runs on.
//
// A deliberately bad version for canary analysis: with FAIL_PERCENT=N (0-100) in its env it answers
// 500 to N % of the requests each instance serves, spread evenly (the 4th, 7th and 10th of every 10
// for 30), so a short window of requests already shows the error rate.
// A deliberately slow version: with DELAY_MS=N (0-60000) it waits N ms (a real clock wait, no busy
// loop) before it answers each request, so its request duration exceeds a canary's `thresholdRange`.
// Exports wasi:http/incoming-handler directly (not the fetch-event style) so a single instance
// serves request after request.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
// Requests served by this instance; a line goes to stdout (the pod's log) for the first and every
// 1000th, so `edgectl logs` shows life without an access-log write on every request.
let served = 0;

function env(name) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return null;
}

function respond(responseOut, status, contentType, text) {
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

export const incomingHandler = {
  handle(request, responseOut) {
    const method = request.method();
    if (method.tag !== 'get' && method.tag !== 'head') {
      respond(responseOut, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    const doc = { message: 'hello from Edgeplane, v2', pod: env('POD_NAME'), node: env('NODE_NAME') };
    served++;
    if (served === 1 || served % 1000 === 0)
      console.log(`hello: ${doc.pod} on ${doc.node} has served ${served} request(s)`);
    const delayMs = Math.min(60_000, Math.max(0, Math.floor(Number(env('DELAY_MS') ?? '0') || 0)));
    if (delayMs > 0) subscribeDuration(BigInt(delayMs) * 1_000_000n).block();
    const failPercent = Math.min(100, Math.max(0, Number(env('FAIL_PERCENT') ?? '0') || 0));
    if (Math.floor((served * failPercent) / 100) > Math.floor(((served - 1) * failPercent) / 100)) {
      respond(responseOut, 500, 'application/json', JSON.stringify({ ...doc, error: 'failing on purpose' }) + '\n');
      return;
    }
    respond(responseOut, 200, 'application/json', JSON.stringify(doc) + '\n');
  },
};

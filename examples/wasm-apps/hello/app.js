// hello: answers every GET with a small JSON document naming the pod and node it runs on.
// Exports wasi:http/incoming-handler directly (not the fetch-event style) so a single instance
// serves request after request.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
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
    const doc = { message: 'hello from Edgeplane', pod: env('POD_NAME'), node: env('NODE_NAME') };
    served++;
    if (served === 1 || served % 1000 === 0)
      console.log(`hello: ${doc.pod} on ${doc.node} has served ${served} request(s)`);
    respond(responseOut, 200, 'application/json', JSON.stringify(doc) + '\n');
  },
};

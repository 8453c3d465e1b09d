// hello: answers every GET with a small JSON document naming the pod and node it runs on.
// Exports wasi:http/incoming-handler directly (not the fetch-event style) so a single instance
// serves request after request.
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();

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
    respond(responseOut, 200, 'application/json', JSON.stringify(doc) + '\n');
  },
};

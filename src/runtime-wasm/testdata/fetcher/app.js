// fetcher: a test fixture for fetch() from a component. Its incoming handler is an async function:
// componentize-js runs the engine's event loop (over wasi:io/poll) until the promise settles.
//   ANY /fetch?url=U     fetch(U) with the same method and body; 200 JSON {status, headers, body}
//                        or 502 JSON {error} with the message fetch() rejected with
//   GET /all?url=U&url=V fetch() both at once (Promise.all); 200 JSON {bodies}
import { Fields, IncomingBody, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();

function respond(responseOut, status, doc) {
  const headers = Fields.fromList([['content-type', encoder.encode('application/json')]]);
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(JSON.stringify(doc) + '\n'));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

function readBody(request) {
  const incoming = request.consume();
  const stream = incoming.stream();
  const chunks = [];
  for (;;) {
    try {
      chunks.push(stream.blockingRead(65536n));
    } catch (err) {
      if (err && err.payload && err.payload.tag === 'closed') break;
      throw err;
    }
  }
  stream[Symbol.dispose]();
  IncomingBody.finish(incoming);
  return new TextDecoder().decode(join(chunks));
}

function join(chunks) {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

export const incomingHandler = {
  async handle(request, responseOut) {
    const url = new URL(request.pathWithQuery() ?? '/', 'http://fetcher.invalid');
    const method = request.method().tag.toUpperCase();
    try {
      if (url.pathname === '/all') {
        const bodies = await Promise.all(url.searchParams.getAll('url').map(async (u) => (await fetch(u)).text()));
        return respond(responseOut, 200, { bodies });
      }
      const body = method === 'GET' || method === 'HEAD' ? undefined : readBody(request);
      const res = await fetch(url.searchParams.get('url'), { method, body, headers: { 'x-via': 'fetcher' } });
      const text = await res.text();
      respond(responseOut, 200, { status: res.status, headers: [...res.headers.entries()], body: text });
    } catch (err) {
      respond(responseOut, 502, { error: String(err && err.message ? err.message : err) });
    }
  },
};

// misbehave: a component that fails on request, to exercise the runtime's failure handling (and,
// later, health probes).
//   GET /             200 JSON {message, pod, node, served}, like hello; `served` counts the
//                     requests this instance has handled (shows instance reuse)
//   GET /loop         spins forever (the runtime must kill it at the request deadline)
//   GET /trap         traps (an uncaught exception aborts the instance)
//   GET /exit?code=N  exits the instance with code N (wasi:cli/exit)
//   GET /log?msg=...  writes msg to stdout and stderr, answers 200
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
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
    served++;
    const url = new URL(request.pathWithQuery() ?? '/', 'http://misbehave');
    switch (url.pathname) {
      case '/loop': {
        let n = 0;
        for (;;) n = (n + 1) | 0;
      }
      case '/trap':
        throw new Error('misbehave: trap requested');
      case '/exit': {
        const code = Number(url.searchParams.get('code') ?? '1');
        exitWithCode(Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1);
        return;
      }
      case '/log': {
        const msg = url.searchParams.get('msg') ?? 'hello log';
        console.log(msg);
        console.error(`err: ${msg}`);
        respond(responseOut, 200, 'text/plain', 'logged\n');
        return;
      }
      default: {
        const doc = { message: 'hello from Edgeplane', pod: env('POD_NAME'), node: env('NODE_NAME'), served };
        respond(responseOut, 200, 'application/json', JSON.stringify(doc) + '\n');
      }
    }
  },
};

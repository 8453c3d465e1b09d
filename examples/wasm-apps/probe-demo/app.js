// probe-demo: an HTTP service whose health you control, for health probes.
//
// The runtime may run several instances of one container (a pool that grows with concurrency), and
// instances share nothing. So what must hold for the whole container is decided by env and the
// clock, which every instance sees alike (times are ms since the epoch):
//   READY_AT=T                       GET /ready answers 503 before T ("not ready for its first seconds")
//   UNHEALTHY_FROM=T [UNHEALTHY_UNTIL=U]   GET /healthz answers 500 and /ready 503 from T (until U)
// and, for trying it by hand, per instance (only the instance that got the request):
//   GET /fail[?for=N]                /healthz and /ready fail from now on (for N seconds)
//   GET /recover                     healthy again
// Other paths:
//   GET /healthz, /ready             200 when healthy / ready
//   GET /                            200 JSON {message, pod, node, served, ready}: `ready` says whether
//                                    the container was ready by the rules above, so a request answered
//                                    with ready:false reached a container that was not
// /fail and /recover answer with the pod's name, so a caller through a Service knows who got them.
//
// `wasi:cli/run` is the exec-probe entry point: the runtime runs it in a fresh instance with the
// probe's command as arguments. It exits 0 ("healthy") unless an argument is `--fail` or the env has
// HEALTHY=false (then it prints why and exits 1), or an argument is `--exit=N`.
import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const encoder = new TextEncoder();
let served = 0;
// Failing (this instance only) until this time; Infinity = until /recover; 0 = not failing.
let failingUntil = 0;

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

function json(responseOut, status, doc) {
  respond(responseOut, status, 'application/json', JSON.stringify(doc) + '\n');
}

/** A time from env (ms since the epoch), or undefined. */
function timeEnv(name) {
  const v = Number(env(name) ?? 'NaN');
  return Number.isFinite(v) ? v : undefined;
}

/** Whether the container is unhealthy now: the env's window, or this instance's /fail. */
function unhealthy(now) {
  const from = timeEnv('UNHEALTHY_FROM');
  const until = timeEnv('UNHEALTHY_UNTIL') ?? Infinity;
  return now < failingUntil || (from !== undefined && now >= from && now < until);
}

export const incomingHandler = {
  handle(request, responseOut) {
    const now = Date.now();
    const url = new URL(request.pathWithQuery() ?? '/', 'http://probe-demo');
    const sick = unhealthy(now);
    const readyAt = timeEnv('READY_AT') ?? 0;
    const pod = env('POD_NAME');
    switch (url.pathname) {
      case '/healthz':
        if (sick) respond(responseOut, 500, 'text/plain', 'unhealthy\n');
        else respond(responseOut, 200, 'text/plain', 'ok\n');
        return;
      case '/ready':
        if (now < readyAt) respond(responseOut, 503, 'text/plain', `warming up: ${readyAt - now} ms to go\n`);
        else if (sick) respond(responseOut, 503, 'text/plain', 'unhealthy\n');
        else respond(responseOut, 200, 'text/plain', 'ready\n');
        return;
      case '/fail': {
        const seconds = Number(url.searchParams.get('for') ?? 'NaN');
        failingUntil = Number.isFinite(seconds) && seconds > 0 ? now + seconds * 1000 : Infinity;
        console.log(
          `probe-demo: ${pod} failing ${Number.isFinite(failingUntil) ? `for ${seconds} s` : 'until /recover'}`,
        );
        json(responseOut, 200, { pod, failing: true });
        return;
      }
      case '/recover':
        failingUntil = 0;
        json(responseOut, 200, { pod, failing: false });
        return;
      default:
        served++;
        json(responseOut, 200, {
          message: 'hello from Edgeplane',
          pod,
          node: env('NODE_NAME'),
          served,
          ready: now >= readyAt && !sick,
        });
    }
  },
};

export const run = {
  run() {
    const args = getArguments();
    const code = args.map((a) => /^--exit=(\d+)$/.exec(a)).find((m) => m)?.[1];
    if (code !== undefined) {
      console.log(`probe-demo check: exiting with ${code} as asked`);
      exitWithCode(Math.min(255, Number(code)));
    }
    if (args.includes('--fail') || env('HEALTHY') === 'false') {
      console.log(`probe-demo check: unhealthy (args: ${args.join(' ')})`);
      exitWithCode(1);
    }
    console.log('probe-demo check: ok');
  },
};

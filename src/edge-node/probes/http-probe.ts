/**
 * The `httpGet` handler. A Wasm container's endpoint is `in-process`: the request is handed to the
 * component's `wasi:http/incoming-handler` directly, no socket involved. A `tcp` endpoint (a
 * container with a real port) gets a real HTTP/1.1 GET over a fresh connection, as the kubelet does.
 * 2xx and 3xx are success; anything else, an error or the timeout is a failure.
 */
import http from 'node:http';
import https from 'node:https';
import { errorMessage } from '../../api/index.js';
import type { HTTPGetAction, WorkloadEndpoint } from '../../api/index.js';
import { raceDeadline } from './deadline.js';
import type { ProbeOutcome, ProbeTarget, ProbeTimers } from './types.js';

/** The User-Agent of probe requests (applications that special-case `kube-probe/` keep working). */
export const PROBE_USER_AGENT = 'kube-probe/edgeplane';

/** Runs one httpGet probe against `port` of the target container. */
export async function httpGetProbe(
  action: HTTPGetAction,
  port: number,
  target: ProbeTarget,
  timeoutMs: number,
  timers: ProbeTimers,
): Promise<ProbeOutcome> {
  const host = action.host ?? target.podIP;
  const url = `${action.scheme.toLowerCase()}://${hostPort(host, port)}${action.path}`;
  let endpoint: WorkloadEndpoint;
  try {
    endpoint = target.runtime.endpoint(target.containerId, port);
  } catch (err) {
    return { ok: false, message: `Get "${url}": ${errorMessage(err)}` };
  }
  const headers = probeHeaders(action, hostPort(host, port));
  const work =
    endpoint.kind === 'in-process'
      ? endpoint
          .handle({
            method: 'GET',
            path: action.path,
            authority: headerValue(headers, 'host') ?? hostPort(host, port),
            scheme: action.scheme === 'HTTPS' ? 'https' : 'http',
            headers,
            body: new Uint8Array(0),
          })
          .then((res) => res.status)
      : realGet(action, action.host ?? endpoint.host, endpoint.port, headers, timeoutMs);
  try {
    const raced = await raceDeadline(work, timeoutMs, timers);
    if (raced.timedOut) {
      return {
        ok: false,
        message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        pending: raced.pending,
      };
    }
    const status = raced.value;
    if (status >= 200 && status < 400) return { ok: true, message: `HTTP probe succeeded with statuscode: ${status}` };
    return { ok: false, message: `HTTP probe failed with statuscode: ${status}` };
  } catch (err) {
    return { ok: false, message: `Get "${url}": ${errorMessage(err)}` };
  }
}

/** `Host`, `User-Agent` and `Accept` as the kubelet sends them; the probe's `httpHeaders` override. */
function probeHeaders(action: HTTPGetAction, authority: string): Array<[string, string]> {
  const out = new Map<string, [string, string]>([
    ['host', ['host', authority]],
    ['user-agent', ['user-agent', PROBE_USER_AGENT]],
    ['accept', ['accept', '*/*']],
  ]);
  for (const h of action.httpHeaders ?? []) out.set(h.name.toLowerCase(), [h.name.toLowerCase(), h.value]);
  return [...out.values()];
}

function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([k]) => k === name)?.[1];
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * How much of a probe's response body is read before the connection is closed (the kubelet reads
 * 10 KiB). The body is never kept; reading it to a bound and then destroying the socket is what stops
 * a container that answers 200 and trickles its body forever from holding one socket per period.
 */
export const PROBE_BODY_READ_LIMIT = 10 * 1024;

/**
 * One GET over a new connection; resolves with the status code once the body has ended or
 * PROBE_BODY_READ_LIMIT bytes of it were read (then the connection is destroyed). The whole exchange,
 * body included, is bounded by `timeoutMs` as the kubelet's client timeout is: at the deadline the
 * socket is destroyed whatever the peer does (the socket's idle timeout alone is defeated by a trickle).
 */
function realGet(
  action: HTTPGetAction,
  host: string,
  port: number,
  headers: Array<[string, string]>,
  timeoutMs: number,
): Promise<number> {
  const mod = action.scheme === 'HTTPS' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = mod.request(
      // The kubelet does not verify a probe's TLS certificate either.
      {
        host,
        port,
        path: action.path,
        method: 'GET',
        headers: Object.fromEntries(headers),
        agent: false,
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        const done = (): void => {
          clearTimeout(deadline);
          resolve(status);
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= PROBE_BODY_READ_LIMIT) done();
        });
        res.on('end', done);
        res.on('error', () => undefined);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The httpGet probe over a real connection to a real server that misbehaves after its status line:
 * the probe reads a bounded part of the body and closes the connection, so a container answering 200
 * and then trickling (or flooding) its body cannot keep one socket per probe period open.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Container, HTTPGetAction } from '../../api/index.js';
import type { WorkloadEndpoint } from '../../api/index.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { PROBE_BODY_READ_LIMIT, httpGetProbe } from './http-probe.js';
import { realProbeTimers, type ProbeTarget } from './types.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose every response is written by `respond`; `closed` resolves when a connection closes. */
async function serve(
  respond: (res: ServerResponse) => void,
): Promise<{ port: number; closed: Promise<Socket>; sent: () => number }> {
  let sent = 0;
  let onClose: (s: Socket) => void = () => undefined;
  const closed = new Promise<Socket>((r) => (onClose = r));
  const server = createServer((_req, res) => {
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: never[]) => {
      sent += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    respond(res);
  });
  server.on('connection', (socket: Socket) => socket.on('close', () => onClose(socket)));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, closed, sent: () => sent };
}

class TcpRuntime extends FakeRuntime {
  constructor(readonly port: number) {
    super();
  }
  override endpoint(): WorkloadEndpoint {
    return { kind: 'tcp', host: '127.0.0.1', port: this.port };
  }
}

function target(port: number): ProbeTarget {
  return {
    runtime: new TcpRuntime(port),
    containerId: 'c',
    container: Container.parse({ name: 'main', image: 'x.wasm' }),
    podIP: '127.0.0.1',
  };
}

const action = HTTPGetAction.parse({ path: '/healthz', port: 8080 });

describe('httpGet probe over a real connection', () => {
  it('reads at most PROBE_BODY_READ_LIMIT of an endless body, succeeds on the status, and closes the connection', async () => {
    const chunk = Buffer.alloc(4096, 120);
    const srv = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Floods for as long as the socket lets it write.
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const outcome = await httpGetProbe(action, 8080, target(srv.port), 10_000, realProbeTimers);
    expect(outcome).toMatchObject({ ok: true, message: 'HTTP probe succeeded with statuscode: 200' });
    const socket = await srv.closed;
    expect(socket.destroyed).toBe(true);
    expect(PROBE_BODY_READ_LIMIT).toBe(10 * 1024);
  });

  it('closes a connection whose body trickles forever once the probe timeout passes, and fails the probe', async () => {
    const timers: NodeJS.Timeout[] = [];
    const srv = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      // One byte every 50 ms: never idle long enough for a socket timeout, never PROBE_BODY_READ_LIMIT.
      timers.push(setInterval(() => !res.destroyed && res.write('a'), 50));
    });
    try {
      const outcome = await httpGetProbe(action, 8080, target(srv.port), 500, realProbeTimers);
      expect(outcome.ok).toBe(false);
      expect(outcome.message).toMatch(/^Get "http:\/\/127\.0\.0\.1:8080\/healthz": /);
      await outcome.pending;
      const socket = await srv.closed;
      expect(socket.destroyed).toBe(true);
      expect(srv.sent()).toBeLessThan(PROBE_BODY_READ_LIMIT);
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });

  it('still succeeds on a short body that ends, and fails on a 500', async () => {
    let status = 204;
    const srv = await serve((res) => {
      res.writeHead(status);
      res.end();
    });
    expect(await httpGetProbe(action, 8080, target(srv.port), 5000, realProbeTimers)).toMatchObject({ ok: true });
    status = 500;
    expect(await httpGetProbe(action, 8080, target(srv.port), 5000, realProbeTimers)).toMatchObject({
      ok: false,
      message: 'HTTP probe failed with statuscode: 500',
    });
  });
});

/**
 * The listeners' limits over real sockets, with the real proxy classes (NodePortProxy, MeshServer,
 * LocalListeners, balancer, deliverer): 413 by Content-Length (before any body is read) and by a
 * chunked body passing the maximum, 503 past the cap of concurrent requests and service again after,
 * bodies streamed through to a container port (not buffered), bodies for in-process workloads held
 * within the node's budget, and slow clients cut off by the headers timeout.
 */
import { silentLogger } from '../../../platform/index.js';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER, systemClock } from '../../../api/index.js';
import type { ServiceRoute, WorkloadEndpoint, WorkloadRequest, WorkloadResponse } from '../../../api/index.js';
import { LocalListeners } from '../egress/local-listeners.js';
import { MeshServer } from '../ingress/mesh-server.js';
import { Deliverer } from '../delivery/deliverer.js';
import { MESH_ERROR_HEADER } from '../protocol.js';
import { LeastLoadedPicker } from '../balancing/least-loaded-picker.js';
import { answerUndelivered } from '../balancing/balance-answer.js';
import type { EndpointPicker } from '../balancing/endpoint-picker.js';
import { proxiedRequest } from './http-util.js';
import { BodyBuffers } from './body-limits.js';
import { PREFETCH_BYTES } from './request-body.js';
import { ServerResponseSink } from './response-sink.js';
import { ServiceBalancer } from '../balancing/service-balancer.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { NodePortProxy } from '../ingress/node-port-proxy.js';
import { ServiceTable } from '../balancing/service-table.js';

const MAX_BODY = 1024 * 1024;
const CAP = 3;
const logger = silentLogger();

/** The container: counts the bytes of each request body; `/hold` waits until released. */
let upstream: Server;
let upstreamPort = 0;
const received: Array<{ path: string; bytes: number; complete: boolean }> = [];
let firstBytes: (() => void) | undefined;
const held: Array<() => void> = [];
let heldArrived: (() => void) | undefined;

/** The in-process workload: answers with the body's size; `/hold` waits until released. */
const inProcessHeld: Array<() => void> = [];
const inProcess: WorkloadEndpoint = {
  kind: 'in-process',
  async handle(req: WorkloadRequest): Promise<WorkloadResponse> {
    if (req.path === '/hold') await new Promise<void>((r) => inProcessHeld.push(r));
    return {
      status: 200,
      headers: [['content-type', 'text/plain']],
      body: Buffer.from(`wasm got ${req.body.byteLength}`),
    };
  },
};

let proxy: NodePortProxy;
let mesh: MeshServer;
let deliverer: Deliverer;
/** Room for two and a half largest bodies. */
const buffers = new BodyBuffers(2.5 * MAX_BODY);
const ports = { tcp: 0, wasm: 0 };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const local: LocalTargetLookup = (_ns, name) => ({
  ok: true,
  runtime: { endpoint: () => (name === 'wasm' ? inProcess : { kind: 'tcp', host: '127.0.0.1', port: upstreamPort }) },
  containerId: name,
  port: 8080,
});

function service(name: string, nodePort: number): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080, nodePort }],
    endpoints: [
      {
        pod: { namespace: 'default', name, uid: `uid-${name}` },
        nodeName: 'self',
        address: '127.0.0.1',
        meshPort: 1,
        ready: true,
      },
    ],
  };
}

beforeAll(async () => {
  upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry = { path: req.url ?? '', bytes: 0, complete: false };
    received.push(entry);
    req.on('data', (c: Buffer) => {
      entry.bytes += c.length;
      firstBytes?.();
      firstBytes = undefined;
    });
    req.on('end', () => {
      entry.complete = true;
      const answer = (): void => void res.end(`container got ${entry.bytes}`);
      if (req.url === '/hold') {
        held.push(answer);
        heldArrived?.();
      } else answer();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  deliverer = new Deliverer({ logger, bodyBuffers: buffers });
  const table = new ServiceTable(logger);
  ports.tcp = await freePort();
  ports.wasm = await freePort();
  table.update([service('tcp', ports.tcp), service('wasm', ports.wasm)]);
  const balancer = new ServiceBalancer({
    nodeName: () => 'self',
    meshToken: () => 'mesh-token',
    picker: new LeastLoadedPicker({ clock: systemClock, logger }),
    local,
    deliverer,
  });
  const limits = { maxRequestBodyBytes: MAX_BODY, maxConcurrentRequests: CAP, headersTimeoutMs: 300 };
  proxy = new NodePortProxy({ address: '127.0.0.1', table, balancer, logger, limits, bodyBuffers: buffers });
  await proxy.update();
  mesh = await MeshServer.create({
    address: '127.0.0.1',
    port: 0,
    meshToken: () => 'mesh-token',
    local,
    isServiceEndpoint: () => true,
    deliverer,
    logger,
    limits,
    bodyBuffers: buffers,
  });
  await mesh.start();
});

afterAll(async () => {
  for (const release of [...held.splice(0), ...inProcessHeld.splice(0)]) release();
  await proxy.stop();
  await mesh.stop();
  await deliverer.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** Writes `head` (and whatever `feed` writes) on a raw connection; resolves with the first response once the server closes or it is complete. */
function raw(port: number, head: string, feed?: (s: Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const finish = (): void => {
      const [h = '', b = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(h)?.[1] ?? 0);
      const length = Number(/content-length: (\d+)/i.exec(h)?.[1] ?? -1);
      resolve({ status, head: h, body: length >= 0 ? b.slice(0, length) : b });
    };
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const [h, b] = data.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(h ?? '')?.[1] ?? -1);
      if (b !== undefined && length >= 0 && b.length >= length) {
        finish();
        s.destroy();
      }
    });
    s.on('close', finish);
    s.on('error', (err: NodeJS.ErrnoException) => (data ? finish() : reject(err)));
    s.write(head);
    feed?.(s);
  });
}

/** A plain request with `body`, through node:http. */
function send(port: number, path: string, body = '', headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, head: JSON.stringify(res.headers), body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('listener limits', () => {
  it('answers 413 to a declared body above the maximum without reading it (and without 100-continue)', async () => {
    const before = received.length;
    const a = await raw(ports.tcp, `POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${MAX_BODY + 1}\r\n\r\n`);
    expect(a.status).toBe(413);
    expect(a.body).toMatch(/larger than the maximum of 1048576 bytes/);
    expect(a.head).toMatch(/connection: close/i);
    const c = await raw(
      ports.tcp,
      `POST /big HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: ${MAX_BODY * 10}\r\n\r\n`,
    );
    expect(c.status).toBe(413);
    expect(received.length).toBe(before);
  });

  it('cuts off a chunked body when it passes the maximum: 413, and the container never gets all of it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const a = await raw(ports.tcp, 'POST /chunked HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', (s) => {
      let sent = 0;
      const pump = (): void => {
        // Up to twice the maximum; the proxy answers (and stops reading) long before.
        while (sent < 2 * MAX_BODY && !s.destroyed) {
          sent += chunk.length;
          if (!s.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`))
            return void s.once('drain', pump);
        }
      };
      s.on('error', () => undefined);
      pump();
    });
    expect(a.status).toBe(413);
    expect(a.body).toMatch(/larger than 1048576 bytes/);
    const seen = received.filter((r) => r.path === '/chunked');
    expect(seen.every((r) => !r.complete && r.bytes <= MAX_BODY)).toBe(true);
  });

  it('streams a body larger than any buffer through to the container port while the client is still sending', async () => {
    const half = Buffer.alloc(MAX_BODY / 2, 0x62);
    const upstreamStarted = new Promise<void>((r) => (firstBytes = r));
    const a = await raw(
      ports.tcp,
      `POST /stream HTTP/1.1\r\nhost: x\r\ncontent-length: ${half.length * 2}\r\n\r\n`,
      (s) => {
        s.write(half);
        // The second half only once the container has bytes: a proxy that buffered whole bodies would never answer.
        void upstreamStarted.then(() => s.write(half));
      },
    );
    expect(a.status).toBe(200);
    expect(a.body).toBe(`container got ${MAX_BODY}`);
  });

  it('refuses requests past the cap with a 503 saying so, and serves again once slots are free', async () => {
    const arrived = new Promise<void>((r) => {
      let n = 0;
      heldArrived = () => {
        if (++n === CAP) r();
      };
    });
    const holding = Array.from({ length: CAP }, () => send(ports.tcp, '/hold', 'x'));
    await arrived;
    expect(proxy.inFlight(ports.tcp)).toBe(CAP);
    const refused = await send(ports.tcp, '/one-more');
    expect(refused.status).toBe(503);
    expect(refused.body).toBe(`node port ${ports.tcp} is at its cap of ${CAP} concurrent requests: try again later\n`);
    // Another listener has its own cap.
    expect((await send(ports.wasm, '/')).status).toBe(200);
    for (const release of held.splice(0)) release();
    expect((await Promise.all(holding)).map((a) => a.status)).toEqual([200, 200, 200]);
    const after = await send(ports.tcp, '/after', 'y');
    expect(after).toMatchObject({ status: 200, body: 'container got 1' });
  });

  it('holds bodies for in-process workloads within the node budget: 503 past it, 413 past the maximum', async () => {
    const big = 'w'.repeat(MAX_BODY);
    const holding = [send(ports.wasm, '/hold', big), send(ports.wasm, '/hold', big)];
    while (inProcessHeld.length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(buffers.used).toBe(2 * MAX_BODY);
    const full = await send(ports.wasm, '/', big);
    expect(full.status).toBe(503);
    expect(full.body).toMatch(/request body buffers are full/);
    for (const release of inProcessHeld.splice(0)) release();
    expect((await Promise.all(holding)).map((a) => a.body)).toEqual([`wasm got ${MAX_BODY}`, `wasm got ${MAX_BODY}`]);
    expect((await send(ports.wasm, '/', big)).body).toBe(`wasm got ${MAX_BODY}`);
    expect(buffers.used).toBe(0);
    const chunked = await raw(ports.wasm, 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', (s) => {
      s.on('error', () => undefined);
      s.write(`${(MAX_BODY + 10).toString(16)}\r\n${'z'.repeat(MAX_BODY + 10)}\r\n0\r\n\r\n`);
    });
    expect(chunked.status).toBe(413);
    expect(buffers.used).toBe(0);
  });

  it('closes a connection whose headers do not arrive within the headers timeout (slowloris), without holding a slot', async () => {
    const a = await raw(ports.tcp, 'GET / HTTP/1.1\r\nhost: x\r\n', (s) => {
      const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write('x-drip: 1\r\n')), 50);
      s.on('close', () => clearInterval(drip));
    });
    expect(a.status).toBe(408);
    expect(proxy.inFlight(ports.tcp)).toBe(0);
  });
});

describe('a streamed body and retries', () => {
  it('sends a streamed body to the next endpoint when the first cannot be reached (none of it was consumed)', async () => {
    const dead = await freePort();
    const lookup: LocalTargetLookup = (_ns, name) => ({
      ok: true,
      runtime: { endpoint: () => ({ kind: 'tcp', host: '127.0.0.1', port: name === 'dead' ? dead : upstreamPort }) },
      containerId: name,
      port: 8080,
    });
    const firstGiven: EndpointPicker = { pick: (_key, candidates) => candidates[0] };
    const balancer = new ServiceBalancer({
      nodeName: () => 'self',
      meshToken: () => 'mesh-token',
      picker: firstGiven,
      local: lookup,
      deliverer,
    });
    const eps = ['dead', 'live'].map((name) => ({
      pod: { namespace: 'default', name, uid: name },
      nodeName: 'self',
      address: '127.0.0.1',
      meshPort: 1,
      ready: true,
    }));
    const svc: ServiceRoute = {
      namespace: 'default',
      name: 'retry',
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, targetPort: 8080 }],
      endpoints: eps,
    };
    const route = { key: 'default/retry:80', service: svc, port: svc.ports[0]!, ready: eps };
    const front = createServer((req, res) => {
      const r = proxiedRequest(req, MAX_BODY);
      void balancer
        .deliver(route, r, new ServerResponseSink(res), { ctx: {} })
        .then((result) => answerUndelivered(res, 'default/retry', result));
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const size = 4 * PREFETCH_BYTES; // streamed, not prefetched
      const a = await send((front.address() as AddressInfo).port, '/retry', 'r'.repeat(size));
      expect(a).toMatchObject({ status: 200, body: `container got ${size}` });
    } finally {
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
    }
  });
});

describe('mesh server and local listeners', () => {
  it('the mesh server refuses past its cap with a retriable mesh error, and 413s a large body', async () => {
    const headers = {
      authorization: 'Bearer mesh-token',
      [MESH_TARGET_HEADER]: 'default/tcp',
      [MESH_PORT_HEADER]: '8080',
    };
    const arrived = new Promise<void>((r) => {
      let n = 0;
      heldArrived = () => {
        if (++n === CAP) r();
      };
    });
    const holding = Array.from({ length: CAP }, () => send(mesh.port, '/hold', 'x', headers));
    await arrived;
    const busy = await send(mesh.port, '/', '', headers);
    expect(busy.status).toBe(503);
    expect((JSON.parse(busy.head) as Record<string, string>)[MESH_ERROR_HEADER]).toBe('busy');
    for (const release of held.splice(0)) release();
    expect((await Promise.all(holding)).every((a) => a.status === 200)).toBe(true);
    const big = await raw(
      mesh.port,
      `POST / HTTP/1.1\r\nhost: x\r\nauthorization: Bearer mesh-token\r\n${MESH_TARGET_HEADER}: default/tcp\r\n${MESH_PORT_HEADER}: 8080\r\ncontent-length: ${MAX_BODY + 1}\r\n\r\n`,
    );
    expect(big.status).toBe(413);
  });

  it('a local listener caps its requests and refuses large bodies like the others', async () => {
    const waiting: Array<() => void> = [];
    let notify: (() => void) | undefined;
    const listeners = new LocalListeners({
      handle: (_req, res) => {
        waiting.push(() => res.end('ok'));
        notify?.();
      },
      connect: (_req, socket) => socket.destroy(),
      onBusy: () => undefined,
      logger,
      limits: { maxConcurrentRequests: 1, maxRequestBodyBytes: 10 },
    });
    const port = await freePort();
    await listeners.sync([{ address: '127.0.0.1', port }]);
    try {
      const first = send(port, '/');
      await new Promise<void>((r) => (waiting.length > 0 ? r() : (notify = r)));
      const second = await send(port, '/');
      expect(second.status).toBe(503);
      expect(second.body).toMatch(`local listener 127.0.0.1:${port} is at its cap of 1 concurrent requests`);
      waiting.shift()!();
      expect((await first).body).toBe('ok');
      expect((await send(port, '/', 'x'.repeat(11))).status).toBe(413);
    } finally {
      for (const w of waiting) w();
      await listeners.stop();
    }
  });
});

/**
 * The per-pod request deadline for container ports (OCI pods), through the real deliverer and undici
 * to a real HTTP server that stalls: past the pod's `edgeplane.io/request-timeout` (or the caller's
 * budget, or the node's) the node answers 504 naming the limit, and the stalled request is closed on
 * the server's side. The server stands in for a container: the proxy's deadline is under test here.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkloadEndpoint } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import { containerDeadline } from './container-deadline.js';
import { Deliverer, type LocalContainerTarget } from './deliverer.js';

const HOST = '127.0.156.1';
let server: Server;
let port = 0;
/** Requests the server saw closed before it answered them, by path. */
const closed: string[] = [];

beforeAll(async () => {
  // `/stall…` never answers; anything else answers 200 at once.
  server = createServer((req: IncomingMessage, res) => {
    req.resume();
    if (req.url?.startsWith('/stall')) {
      res.on('close', () => closed.push(req.url!));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function target(podTimeoutMs?: number): LocalContainerTarget {
  const ep: WorkloadEndpoint = { kind: 'tcp', host: HOST, port };
  return {
    runtime: { endpoint: () => ep },
    containerId: 'c1',
    port: 8080,
    ...(podTimeoutMs !== undefined ? { podTimeoutMs } : {}),
  };
}

async function deliver(d: Deliverer, t: LocalContainerTarget, path: string, timeoutMs?: number) {
  const sink = new BufferingSink(1 << 20);
  const req = {
    method: 'GET',
    path,
    authority: 'app',
    headers: ['host', 'app'],
    body: RequestBody.whole(Buffer.alloc(0)),
    clientIp: '',
  };
  const status = await d.deliverLocal(t, req, sink, timeoutMs);
  const res = sink.response()!;
  return { status, sinkStatus: res.status, text: Buffer.from(res.body).toString() };
}

/** Polls until `check` holds (no idle sleep); fails past `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('a container port request past its deadline', () => {
  // The node's deadline is long: only the pod's own (or the caller's) can end these requests.
  const deliverer = new Deliverer({ logger: silentLogger(), requestTimeoutMs: 60_000, transport: 'insecure-token' });
  afterAll(() => deliverer.close());

  it("gets 504 naming the pod's edgeplane.io/request-timeout, and the stalled request is closed", async () => {
    const r = await deliver(deliverer, target(300), '/stall-pod');
    expect(r.status).toBe(504);
    expect(r.sinkStatus).toBe(504);
    expect(r.text).toContain(`container port ${HOST}:${port} did not answer within 300 ms`);
    expect(r.text).toContain("the pod's edgeplane.io/request-timeout");
    await until(() => closed.includes('/stall-pod'));
  });

  it("is bounded by the caller's shorter budget, and says so", async () => {
    const r = await deliver(deliverer, target(30_000), '/stall-caller', 200);
    expect(r.status).toBe(504);
    expect(r.text).toContain("within 200 ms (the caller's deadline)");
    await until(() => closed.includes('/stall-caller'));
  });

  it("keeps the node's deadline for a pod that sets none", async () => {
    const short = new Deliverer({ logger: silentLogger(), requestTimeoutMs: 250, transport: 'insecure-token' });
    try {
      const r = await deliver(short, target(), '/stall-node');
      expect(r.status).toBe(504);
      expect(r.text).toContain("within 250 ms (the node's --request-timeout)");
    } finally {
      await short.close();
    }
  });

  it('leaves a request that answers in time alone', async () => {
    const r = await deliver(deliverer, target(300), '/ok');
    expect(r.status).toBe(200);
    expect(r.text).toBe('ok');
  });
});

describe('containerDeadline', () => {
  it("takes the caller's budget, the pod's, else the node's, naming which", () => {
    expect(containerDeadline(undefined, undefined, 15_000)).toEqual({
      ms: 15_000,
      source: "the node's --request-timeout",
    });
    expect(containerDeadline(undefined, 2_000, 15_000)).toEqual({
      ms: 2_000,
      source: "the pod's edgeplane.io/request-timeout",
    });
    // A pod's own deadline replaces the node's, longer or shorter, as for a Wasm pod.
    expect(containerDeadline(undefined, 60_000, 15_000)).toEqual({
      ms: 60_000,
      source: "the pod's edgeplane.io/request-timeout",
    });
    expect(containerDeadline(500, 2_000, 15_000)).toEqual({ ms: 500, source: "the caller's deadline" });
    expect(containerDeadline(5_000, 2_000, 15_000)).toEqual({
      ms: 2_000,
      source: "the pod's edgeplane.io/request-timeout",
    });
  });
});

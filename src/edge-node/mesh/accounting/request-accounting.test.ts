/**
 * Request accounting through the real balancer and deliverer over real sockets: what is delivered
 * to a local pod counts as the pod's, what is balanced over a Service as the Service's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRoute, WorkloadEndpoint } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import type { ServiceEndpoint } from '../balancing/endpoint-picker.js';
import { ServiceBalancer } from '../balancing/service-balancer.js';
import type { ServicePortRoute } from '../balancing/service-table.js';
import { Deliverer } from '../delivery/deliverer.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { LATENCY_BUCKETS_MS, MAX_ACCOUNTED, RequestAccounting, errorCounts } from './request-accounting.js';

let server: Server;
let port = 0;
let closedPort = 0;
const accounting = new RequestAccounting();
const deliverer = new Deliverer({
  logger: silentLogger(),
  requestTimeoutMs: 2000,
  transport: 'insecure-token',
  accounting,
});

async function listen(s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  // The path says what to answer: /200, /404, /503.
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(Number(req.url!.slice(1))).end('x');
  });
  port = await listen(server);
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await deliverer.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function endpoint(name: string): ServiceEndpoint {
  return {
    pod: { namespace: 'shop', name, uid: `uid-${name}` },
    nodeName: 'self',
    address: '127.0.0.1',
    meshPort: 1,
    ready: true,
  };
}

function route(...endpoints: ServiceEndpoint[]): ServicePortRoute {
  const service: ServiceRoute = {
    namespace: 'shop',
    name: 'cart',
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080 }],
    endpoints,
  };
  return { key: 'shop/cart:80', service, port: service.ports[0]!, ready: endpoints };
}

/** Pod `dead-*` listens nowhere; the others on the test server. */
const local: LocalTargetLookup = (_ns, name) => {
  const ep: WorkloadEndpoint = { kind: 'tcp', host: '127.0.0.1', port: name.startsWith('dead') ? closedPort : port };
  return { ok: true, runtime: { endpoint: () => ep }, containerId: name, port: 8080 };
};

const balancer = new ServiceBalancer({
  nodeName: () => 'self',
  picker: { pick: (_k, c) => c[0] },
  local,
  deliverer,
  accounting,
});

async function get(r: ServicePortRoute, path: string): Promise<void> {
  const req = {
    method: 'GET',
    path,
    authority: 'cart',
    headers: ['host', 'cart'],
    body: RequestBody.whole(Buffer.alloc(0)),
    clientIp: '',
  };
  await balancer.deliver(r, req, new BufferingSink(1 << 20), { ctx: {} });
}

describe('RequestAccounting', () => {
  it('counts each pod’s and each Service’s requests by status class, with latency', async () => {
    const r = route(endpoint('cart-1'));
    for (const path of ['/200', '/200', '/404', '/503']) await get(r, path);
    const pod = accounting.pod('shop', 'cart-1')!;
    expect(pod.requests).toBe(4);
    expect(pod.byClass.slice(2)).toEqual([2, 0, 1, 1]);
    expect(errorCounts(pod)).toEqual({ errors4xx: 1, errors5xx: 1 });
    expect(pod.latencyMsSum).toBeGreaterThan(0);
    expect(pod.buckets.reduce((a, b) => a + b, 0)).toBe(4);
    const svc = [...accounting.services()].find((c) => c.name === 'cart')!;
    expect(svc.requests).toBe(4);
    expect(svc.byClass[2]).toBe(2);
  });

  it('does not count a pod that could not be reached as the pod’s; the Service counts the 503 it answered', async () => {
    const svcBefore = [...accounting.services()].find((c) => c.name === 'cart')?.requests ?? 0;
    await get(route(endpoint('dead-1')), '/200');
    expect(accounting.pod('shop', 'dead-1')).toBeUndefined();
    const svc = [...accounting.services()].find((c) => c.name === 'cart')!;
    expect(svc.requests).toBe(svcBefore + 1);
    expect(svc.byClass[5]).toBeGreaterThanOrEqual(1);
  });

  it('counts a Service with no ready endpoint as a 503', async () => {
    const a = new RequestAccounting();
    const b = new ServiceBalancer({
      nodeName: () => 'self',
      picker: { pick: (_k, c) => c[0] },
      local,
      deliverer,
      accounting: a,
    });
    const req = {
      method: 'GET',
      path: '/',
      authority: 'cart',
      headers: [],
      body: RequestBody.whole(Buffer.alloc(0)),
      clientIp: '',
    };
    expect(await b.deliver(route(), req, new BufferingSink(1024), { ctx: {} })).toEqual({ kind: 'no-endpoints' });
    expect([...a.services()][0]).toMatchObject({ namespace: 'shop', name: 'cart', requests: 1 });
  });

  it('puts latencies in their buckets and forgets what is retained no more', () => {
    const a = new RequestAccounting();
    a.podRequest('ns', 'p', 200, 1);
    a.podRequest('ns', 'p', 200, LATENCY_BUCKETS_MS[2]!);
    a.podRequest('ns', 'p', 0, 60_000);
    const c = a.pod('ns', 'p')!;
    expect(c.buckets[0]).toBe(1);
    expect(c.buckets[2]).toBe(1);
    expect(c.buckets[LATENCY_BUCKETS_MS.length]).toBe(1);
    expect(errorCounts(c).errors5xx).toBe(1);
    a.retainPods(() => false);
    expect(a.pod('ns', 'p')).toBeUndefined();
  });

  it('is bounded: past MAX_ACCOUNTED entries new pods are not counted', () => {
    const a = new RequestAccounting();
    for (let i = 0; i < MAX_ACCOUNTED + 5; i++) a.podRequest('ns', `p${i}`, 200, 1);
    expect([...a.pods()].length).toBe(MAX_ACCOUNTED);
  });
});

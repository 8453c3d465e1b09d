/**
 * The service client over real sockets: Service endpoints are node:http servers reached as local
 * TCP containers; "external" hosts are node:http servers on 127.0.0.1.
 */
import { silentLogger } from '../../../platform/index.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutgoingHttpError } from '../../../api/index.js';
import type { OutgoingCaller, ServiceRoute, WorkloadEndpoint, WorkloadRequest } from '../../../api/index.js';
import { Deliverer } from '../delivery/deliverer.js';
import { LeastLoadedPicker } from '../balancing/least-loaded-picker.js';
import { ServiceBalancer } from '../balancing/service-balancer.js';
import { ServiceTable } from '../balancing/service-table.js';
import { ALLOWED_OUTGOING_HOSTS_ANNOTATION } from './egress-policy.js';
import { ServiceClient } from './service-client.js';

const servers = new Map<string, Server>();
const ports = new Map<string, number>();
let closedPort = 0;
/** What the client logged. */
const logLines: Array<Record<string, unknown>> = [];
const deliverer = new Deliverer({
  logger: silentLogger(),
  requestTimeoutMs: 2000,
  transport: 'insecure-token',
  meshToken: () => 'mesh-token',
});
const table = new ServiceTable(silentLogger());
const annotations = new Map<string, Record<string, string>>();
let client: ServiceClient;

/** A server answering with its name, the request it got, after `delayMs`. */
async function start(name: string, delayMs = 0): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        served: name,
        method: req.method,
        url: req.url,
        host: req.headers.host,
        body: Buffer.concat(chunks).toString(),
      });
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name }).end(body),
        delayMs,
      ).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.set(name, server);
  ports.set(name, (server.address() as AddressInfo).port);
}

function ep(pod: string, namespace = 'default', ready = true): ServiceRoute['endpoints'][number] {
  return {
    pod: { namespace, name: pod, uid: `uid-${pod}` },
    nodeName: 'node-a',
    address: '127.0.0.1',
    meshPort: 1,
    ready,
  };
}

function svc(
  namespace: string,
  name: string,
  endpoints: ServiceRoute['endpoints'],
  extra: Partial<ServiceRoute> = {},
): ServiceRoute {
  return {
    namespace,
    name,
    type: 'ClusterIP',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080 }],
    endpoints,
    ...extra,
  };
}

beforeAll(async () => {
  for (const name of ['catalog-1', 'cart-1', 'sticky-1', 'sticky-2', 'external']) await start(name);
  await start('slow', 2000);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  table.update([
    svc('default', 'catalog', [ep('catalog-1')]),
    svc('shop', 'cart', [ep('cart-1', 'shop')]),
    svc('default', 'empty', [ep('catalog-1', 'default', false)]),
    svc('default', 'slow', [ep('slow')]),
    svc('default', 'sticky', [ep('sticky-1'), ep('sticky-2')], { sessionAffinity: 'ClientIP' }),
  ]);
  const balancer = new ServiceBalancer({
    nodeName: () => 'node-a',
    picker: new LeastLoadedPicker({ clock: { now: () => Date.now() } }),
    local: (_ns, name) => {
      const endpoint: WorkloadEndpoint = { kind: 'tcp', host: '127.0.0.1', port: ports.get(name) ?? closedPort };
      return { ok: true, runtime: { endpoint: () => endpoint }, containerId: name, port: 8080 };
    },
    deliverer,
  });
  client = new ServiceClient({
    table,
    balancer,
    deliverer,
    logger: pino(
      { level: 'info' },
      { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    ),
    origin: () => ({ nodeName: 'node-a' }),
    annotations: (caller) => annotations.get(caller.uid),
  });
});

afterAll(async () => {
  await deliverer.close();
  for (const s of servers.values()) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const web: OutgoingCaller = { namespace: 'default', name: 'web', uid: 'uid-web', container: 'main' };

function req(authority: string, opts: Partial<WorkloadRequest> = {}): WorkloadRequest {
  return {
    method: 'GET',
    path: '/items?x=1',
    authority,
    scheme: 'http',
    headers: [['accept', 'application/json']],
    body: new Uint8Array(),
    ...opts,
  };
}

async function call(
  authority: string,
  opts: Partial<WorkloadRequest> = {},
  caller = web,
): Promise<{ status: number; served: string; body: Record<string, string>; headers: Array<[string, string]> }> {
  const res = await client.handle(caller, req(authority, opts));
  const body = JSON.parse(Buffer.from(res.body).toString()) as Record<string, string>;
  return { status: res.status, served: body.served!, body, headers: res.headers };
}

async function refusal(
  authority: string,
  opts: Partial<WorkloadRequest> = {},
  caller = web,
): Promise<OutgoingHttpError> {
  const err = await client.handle(caller, req(authority, opts)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutgoingHttpError);
  return err as OutgoingHttpError;
}

describe('ServiceClient: Services by name', () => {
  it('resolves svc, svc.ns, svc.ns.svc and svc.ns.svc.cluster.local on the Service port', async () => {
    for (const host of [
      'catalog',
      'catalog.default',
      'catalog.default.svc',
      'catalog.default.svc.cluster.local',
      'catalog:80',
      'CATALOG.default.svc.cluster.local.',
    ]) {
      const res = await call(host);
      expect(res.status, host).toBe(200);
      expect(res.served).toBe('catalog-1');
      expect(res.body).toMatchObject({ method: 'GET', url: '/items?x=1', host });
      expect(res.headers).toContainEqual(['x-served-by', 'catalog-1']);
    }
  });

  it('delivers method and body, and reaches other namespaces by svc.ns', async () => {
    const res = await call('cart.shop', { method: 'POST', body: new TextEncoder().encode('{"sku":1}') });
    expect(res).toMatchObject({ status: 200, served: 'cart-1', body: { method: 'POST', body: '{"sku":1}' } });
  });

  it("looks a bare name up in the caller's namespace", async () => {
    const shopPod = { ...web, namespace: 'shop', uid: 'uid-shop-pod' };
    expect((await call('cart', {}, shopPod)).served).toBe('cart-1');
    const err = await refusal('catalog', {}, shopPod);
    expect(err.failure).toBe('denied');
    expect(err.message).toMatch(/no Service "catalog" in namespace "shop"/);
  });

  it('refuses a port the Service does not serve, and a Service without ready endpoints', async () => {
    const port = await refusal('catalog:8080');
    expect(port.failure).toBe('connection-refused');
    expect(port.message).toMatch(/Service "default\/catalog" does not serve port 8080 \(its ports: 80\)/);
    const empty = await refusal('empty');
    expect(empty.failure).toBe('connection-refused');
    expect(empty.message).toMatch(/Service "default\/empty" has no ready endpoints/);
  });

  it('refuses https to a Service (the mesh carries plain http)', async () => {
    const err = await refusal('catalog', { scheme: 'https' });
    expect(err.failure).toBe('connection-refused');
    expect(err.message).toMatch(/plain http/);
  });

  it("keeps a ClientIP-affine Service's caller pod on one endpoint", async () => {
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) served.add((await call('sticky')).served);
    expect(served.size).toBe(1);
    const others = new Set<string>();
    for (let i = 0; i < 12; i++)
      others.add((await call('sticky', {}, { ...web, name: `web-${i}`, uid: `uid-web-${i}` })).served);
    expect(others).toEqual(new Set(['sticky-1', 'sticky-2']));
  });

  it("times out at the caller's deadline", async () => {
    const t0 = Date.now();
    const err = await refusal('slow', { timeoutMs: 150 });
    expect(err.failure).toBe('timeout');
    expect(err.message).toMatch(/no answer within 150 ms/);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('ServiceClient: other destinations', () => {
  it('denies a host that is not a Service, naming it and the annotation that allows it', async () => {
    for (const host of ['example.com', 'api.example.com:8443', '10.0.0.1', 'nothing-here']) {
      const err = await refusal(host);
      expect(err.failure, host).toBe('denied');
      expect(err.message).toContain(ALLOWED_OUTGOING_HOSTS_ANNOTATION);
    }
    expect((await refusal('api.example.com:8443')).message).toMatch(/outgoing HTTP to api\.example\.com:8443 denied/);
    expect((await refusal('nothing-here')).message).toMatch(/no Service "nothing-here" in namespace "default"/);
  });

  it('fetches an allowed external host directly, and only on the allowed port', async () => {
    const caller = { ...web, uid: 'uid-allowed' };
    annotations.set(caller.uid, {
      [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: `localhost, 127.0.0.1:${ports.get('external')!}, 127.0.0.1:${closedPort}`,
    });
    const res = await call(
      `127.0.0.1:${ports.get('external')!}`,
      { method: 'PUT', body: new TextEncoder().encode('x') },
      caller,
    );
    expect(res).toMatchObject({
      status: 200,
      served: 'external',
      body: { method: 'PUT', url: '/items?x=1', body: 'x' },
    });
    expect((await refusal(`127.0.0.1:${ports.get('catalog-1')!}`, {}, caller)).failure).toBe('denied');
    expect((await refusal(`127.0.0.1:${closedPort}`, {}, caller)).failure).toBe('connection-refused');
  });

  it("times out an external call at the caller's deadline", async () => {
    const caller = { ...web, uid: 'uid-slow-caller' };
    annotations.set(caller.uid, { [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: '127.0.0.1' });
    const err = await refusal(`127.0.0.1:${ports.get('slow')!}`, { timeoutMs: 100 }, caller);
    expect(err.failure).toBe('timeout');
  });

  it('refuses an authority it cannot read', async () => {
    expect((await refusal('user@host')).failure).toBe('denied');
  });
});

describe('ServiceClient: refusals in the node log', () => {
  it('logs why a call got no response (WASI error codes carry no text), once a minute per pod, host and failure', async () => {
    logLines.length = 0;
    for (let i = 0; i < 3; i++) await refusal('logged.example.com:9');
    const lines = logLines.filter((l) => l.host === 'logged.example.com:9');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'outgoing call got no response',
      pod: 'default/web',
      container: 'main',
      failure: 'denied',
    });
    expect(String(lines[0]!.err)).toMatch(/outgoing HTTP to logged\.example\.com:9 denied/);
  });
});

/**
 * The retry rules of the balancing core, over real sockets: endpoints are node:http servers reached
 * as local TCP containers, or (for "remote" endpoints) as a peer's mesh port.
 */
import { silentLogger } from '../../../platform/index.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceRoute, type WorkloadEndpoint } from '../../../api/index.js';
import { Deliverer } from '../delivery/deliverer.js';
import type { EndpointPicker, ServiceEndpoint } from './endpoint-picker.js';
import { LeastLoadedPicker } from './least-loaded-picker.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { ServiceBalancer } from './service-balancer.js';
import type { ServicePortRoute } from './service-table.js';
import { MESH_ERROR_HEADER } from '../protocol.js';

const SELF = 'node-self';
let good: Server;
let resetter: Server;
let failing: Server;
let lagging: Server;
/** Requests each server saw. */
const seen = { good: 0, resetter: 0, failing: 0, lagging: 0 };
/** How many more hops `lagging` refuses as "not my endpoint" (its Service table is behind). */
let lagFor = 0;
let closedPort = 0;
const ports = new Map<string, number>();
const deliverer = new Deliverer({
  logger: silentLogger(),
  requestTimeoutMs: 2000,
  transport: 'insecure-token',
  meshToken: () => 'mesh-token',
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  good = createServer((req, res) => {
    seen.good += 1;
    req.resume();
    req.on('end', () => res.end(`good ${req.method}`));
  });
  resetter = createServer((req) => {
    seen.resetter += 1;
    req.socket.destroy(); // the request arrived: it may have been processed
  });
  failing = createServer((req, res) => {
    seen.failing += 1;
    res.writeHead(503).end('overloaded');
  });
  lagging = createServer((req, res) => {
    seen.lagging += 1;
    req.resume();
    if (lagFor-- > 0) res.writeHead(403, { [MESH_ERROR_HEADER]: 'not-endpoint' }).end('not here yet');
    else res.end(`caught up ${req.method}`);
  });
  ports.set('lagging', await listen(lagging));
  ports.set('good', await listen(good));
  ports.set('resetter', await listen(resetter));
  ports.set('failing', await listen(failing));
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await deliverer.close();
  for (const s of [good, resetter, failing, lagging]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An endpoint named after the server it reaches (`dead` reaches nothing). */
function ep(name: string, nodeName = SELF): ServiceEndpoint {
  const server = name.replace(/-[0-9]+$/, '');
  return {
    pod: { namespace: 'default', name, uid: `uid-${name}` },
    nodeName,
    address: '127.0.0.1',
    meshPort: ports.get(server) ?? closedPort,
    ready: true,
  };
}

function route(...endpoints: ServiceEndpoint[]): ServicePortRoute {
  const service: ServiceRoute = {
    namespace: 'default',
    name: 'svc',
    type: 'ClusterIP',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080 }],
    endpoints,
  };
  return { key: 'default/svc:80', service, port: service.ports[0]!, ready: endpoints };
}

/** Local pods are TCP containers on the port of the server they are named after. */
const local: LocalTargetLookup = (_ns, name) => {
  const port = ports.get(name.replace(/-[0-9]+$/, '')) ?? closedPort;
  const endpoint: WorkloadEndpoint = { kind: 'tcp', host: '127.0.0.1', port };
  return { ok: true, runtime: { endpoint: () => endpoint }, containerId: name, port: 8080 };
};

/** Picks candidates in the order given, so a test decides which endpoint is tried first. */
const inOrder: EndpointPicker = { pick: (_key, candidates) => candidates[0] };

function balancer(picker: EndpointPicker = inOrder): ServiceBalancer {
  return new ServiceBalancer({ nodeName: () => SELF, picker, local, deliverer });
}

function request(method: string) {
  return {
    method,
    path: '/x',
    authority: 'svc',
    headers: ['host', 'svc'],
    body: RequestBody.whole(Buffer.from(method === 'POST' ? 'payload' : '')),
    clientIp: '',
  };
}

async function send(b: ServiceBalancer, r: ServicePortRoute, method: string) {
  const sink = new BufferingSink(1 << 20);
  const result = await b.deliver(r, request(method), sink, { ctx: {} });
  return { result, body: sink.response() ? Buffer.from(sink.response()!.body).toString() : undefined };
}

describe('ServiceBalancer retry rules', () => {
  it('retries any method on another endpoint when the connection could not be made', async () => {
    const before = seen.good;
    const { result, body } = await send(balancer(), route(ep('dead'), ep('good')), 'POST');
    expect(result).toMatchObject({ kind: 'answered', status: 200 });
    expect(body).toBe('good POST');
    expect(seen.good).toBe(before + 1);
  });

  it('never sends a non-idempotent request twice once it may have been processed', async () => {
    const before = { ...seen };
    const { result, body } = await send(balancer(), route(ep('resetter'), ep('good')), 'POST');
    // A local container that broke the exchange is answered 502 by the node; nothing is resent.
    expect(result).toMatchObject({ kind: 'answered', status: 502 });
    expect(body).toMatch(/did not answer/);
    expect(seen.resetter).toBe(before.resetter + 1);
    expect(seen.good).toBe(before.good);
  });

  it('the same over the mesh: a POST whose peer connection broke fails, a GET goes elsewhere', async () => {
    const before = seen.good;
    const post = await send(balancer(), route(ep('resetter', 'node-x'), ep('good', 'node-y')), 'POST');
    expect(post.result.kind).toBe('failed');
    expect(seen.good).toBe(before);
    const get = await send(balancer(), route(ep('resetter', 'node-x'), ep('good', 'node-y')), 'GET');
    expect(get.body).toBe('good GET');
  });

  it('retries an idempotent request whose connection broke before any answer', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const { result, body } = await send(balancer(), route(ep('resetter'), ep('good')), method);
      expect(result).toMatchObject({ kind: 'answered', status: 200 });
      expect(body).toBe(`good ${method}`);
    }
  });

  it('does not retry an answer, even a 5xx one', async () => {
    const before = seen.good;
    const { result, body } = await send(balancer(), route(ep('failing'), ep('good')), 'GET');
    expect(result).toMatchObject({ kind: 'answered', status: 503 });
    expect(body).toBe('overloaded');
    expect(seen.good).toBe(before);
  });

  it('makes at most three attempts, on distinct endpoints', async () => {
    const { result } = await send(
      balancer(),
      route(ep('dead-1'), ep('dead-2'), ep('dead-3'), ep('dead-4'), ep('good')),
      'GET',
    );
    expect(result.kind).toBe('unreachable');
    if (result.kind !== 'unreachable') return;
    expect(result.failures.map((f) => f.split('@')[0])).toEqual(['default/dead-1', 'default/dead-2', 'default/dead-3']);
  });

  it('skips the other endpoints of a node that could not be reached', async () => {
    // dead-1 and dead-2 are on a peer whose mesh port refuses connections; good-1 on a live peer.
    const { result, body } = await send(
      balancer(),
      route(ep('dead-1', 'node-x'), ep('dead-2', 'node-x'), ep('good-1', 'node-y')),
      'GET',
    );
    expect(result).toMatchObject({ kind: 'answered', status: 200 });
    expect(body).toBe('good GET');
  });

  it("tries again, briefly, an endpoint whose node's Service table is behind this one's", async () => {
    // The peer refuses two hops as "not a Service endpoint here", then has the change and answers.
    lagFor = 2;
    const before = seen.lagging;
    const caughtUp = await send(balancer(), route(ep('lagging', 'node-x')), 'POST');
    expect(caughtUp.result).toMatchObject({ kind: 'answered', status: 200 });
    expect(caughtUp.body).toBe('caught up POST');
    expect(seen.lagging).toBe(before + 3);
    // A peer that never catches up is given up on after the short retries, naming why.
    lagFor = Number.POSITIVE_INFINITY;
    const never = await send(balancer(), route(ep('lagging', 'node-x')), 'GET');
    expect(never.result.kind).toBe('unreachable');
    if (never.result.kind === 'unreachable') expect(never.result.failures.at(-1)).toMatch(/not-endpoint/);
    lagFor = 0;
  });

  it('answers "no-endpoints" for a Service port without ready endpoints', async () => {
    expect((await send(balancer(), route(), 'GET')).result).toEqual({ kind: 'no-endpoints' });
  });

  it('reports outcomes to the picker: 5xx answers and connect failures eject, in-flight counts return to 0', async () => {
    const picker = new LeastLoadedPicker({ clock: { now: () => 0 } });
    const b = balancer(picker);
    const failingEp = ep('failing');
    for (let i = 0; i < 5; i++) await send(b, route(failingEp), 'GET');
    expect(picker.isEjected('default/svc:80', failingEp)).toBe(true);
    const deadEp = ep('dead');
    for (let i = 0; i < 5; i++) await send(b, route(deadEp), 'GET');
    expect(picker.isEjected('default/svc:80', deadEp)).toBe(true);
    // Ejected endpoints are avoided while another is there.
    const before = seen.failing;
    for (let i = 0; i < 5; i++)
      expect((await send(b, route(failingEp, deadEp, ep('good')), 'GET')).body).toBe('good GET');
    expect(seen.failing).toBe(before);
    expect(picker.inFlight('uid-good') + picker.inFlight('uid-failing') + picker.inFlight('uid-dead')).toBe(0);
  });
});

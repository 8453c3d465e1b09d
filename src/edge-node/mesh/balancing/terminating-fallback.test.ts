/**
 * kube-proxy's fallback to terminating endpoints (KEP-1669), through the node's real Service table,
 * balancer, picker and deliverer to real HTTP servers standing for the pods: a Service with a ready
 * endpoint sends nothing to a terminating one; with none ready, its serving terminating endpoints
 * take the traffic; terminating endpoints that no longer serve are not used.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type RouteEndpoint, type ServiceRoute, type WorkloadEndpoint } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { Deliverer } from '../delivery/deliverer.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { LeastLoadedPicker } from './least-loaded-picker.js';
import { ServiceBalancer } from './service-balancer.js';
import { ServiceTable } from './service-table.js';

const SELF = 'node-self';
const servers = new Map<string, Server>();
const ports = new Map<string, number>();
const seen = new Map<string, number>();
const deliverer = new Deliverer({
  logger: silentLogger(),
  requestTimeoutMs: 2000,
  transport: 'insecure-token',
  meshToken: () => 'mesh-token',
});

beforeAll(async () => {
  for (const name of ['old', 'new']) {
    const server = createServer((req, res) => {
      seen.set(name, (seen.get(name) ?? 0) + 1);
      req.resume();
      req.on('end', () => res.end(name));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.set(name, server);
    ports.set(name, (server.address() as AddressInfo).port);
  }
});

afterAll(async () => {
  await deliverer.close();
  for (const s of servers.values()) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** The local pods are the servers of their names. */
const local: LocalTargetLookup = (_ns, name) => {
  const endpoint: WorkloadEndpoint = { kind: 'tcp', host: '127.0.0.1', port: ports.get(name)! };
  return { ok: true, runtime: { endpoint: () => endpoint }, containerId: name, port: 8080 };
};

function ep(name: string, conditions: Pick<RouteEndpoint, 'ready' | 'serving' | 'terminating'>): RouteEndpoint {
  return {
    pod: { namespace: 'default', name, uid: `uid-${name}` },
    nodeName: SELF,
    address: '127.0.0.1',
    meshPort: 1,
    ...conditions,
  };
}

/** Sends `n` GETs to Service `web` as the table holds it; the bodies (or the result kinds) in order. */
async function send(endpoints: RouteEndpoint[], n: number): Promise<string[]> {
  const table = new ServiceTable(silentLogger());
  const service: ServiceRoute = {
    namespace: 'default',
    name: 'web',
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
    endpoints,
  };
  table.update([service]);
  const balancer = new ServiceBalancer({
    nodeName: () => SELF,
    picker: new LeastLoadedPicker({ clock: systemClock }),
    local,
    deliverer,
  });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sink = new BufferingSink(1 << 16);
    const req = {
      method: 'GET',
      path: '/',
      authority: 'web',
      headers: ['host', 'web'],
      body: RequestBody.whole(Buffer.alloc(0)),
      clientIp: '',
    };
    const result = await balancer.deliver(table.byNodePort(30080)!, req, sink, { ctx: {} });
    const res = sink.response();
    out.push(result.kind === 'answered' && res ? Buffer.from(res.body).toString() : result.kind);
  }
  return out;
}

describe('fallback to terminating endpoints', () => {
  it('sends nothing to a terminating endpoint while the Service has a ready one', async () => {
    const got = await send(
      [ep('old', { ready: false, serving: true, terminating: true }), ep('new', { ready: true })],
      20,
    );
    expect(got).toEqual(Array(20).fill('new'));
  });

  it('sends every request to the serving terminating endpoint when none is ready', async () => {
    const before = seen.get('old') ?? 0;
    const got = await send(
      [ep('old', { ready: false, serving: true, terminating: true }), ep('new', { ready: false })],
      20,
    );
    expect(got).toEqual(Array(20).fill('old'));
    expect(seen.get('old')).toBe(before + 20);
  });

  it('does not use a terminating endpoint that no longer serves', async () => {
    const got = await send([ep('old', { ready: false, serving: false, terminating: true })], 3);
    expect(got).toEqual(['no-endpoints', 'no-endpoints', 'no-endpoints']);
  });
});

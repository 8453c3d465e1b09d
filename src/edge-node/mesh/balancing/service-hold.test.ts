/**
 * Scale from zero through the real balancer and deliverer: requests for a Service with no ready
 * endpoint are held, the hub is woken once per wait, and held requests are delivered over real
 * sockets as soon as the Service's endpoints arrive; past the timeout or the queue they are refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRoute, WorkloadEndpoint } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { Deliverer } from '../delivery/deliverer.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import type { LocalTargetLookup } from '../local-pods.js';
import type { ServiceEndpoint } from './endpoint-picker.js';
import { ServiceBalancer, type BalanceResult } from './service-balancer.js';
import { ServiceHold } from './service-hold.js';
import type { ServicePortRoute } from './service-table.js';
import { heldText } from './balance-answer.js';
import { MESH_ERROR_HEADER } from '../protocol.js';

let server: Server;
let port = 0;
const deliverer = new Deliverer({ logger: silentLogger(), requestTimeoutMs: 2000, transport: 'insecure-token' });

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.end('woke');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await deliverer.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function route(...endpoints: ServiceEndpoint[]): ServicePortRoute {
  return routeOf(true, endpoints);
}

/** The route of Service fn/hello; `wakeable`: the hub marked it scale-from-zero. */
function routeOf(wakeable: boolean, endpoints: ServiceEndpoint[]): ServicePortRoute {
  const service: ServiceRoute = {
    namespace: 'fn',
    name: 'hello',
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080 }],
    endpoints,
    ...(wakeable ? { scaleFromZero: true as const } : {}),
  };
  return { key: 'fn/hello:80', service, port: service.ports[0]!, ready: endpoints };
}

const pod: ServiceEndpoint = {
  pod: { namespace: 'fn', name: 'hello-1', uid: 'u1' },
  nodeName: 'self',
  address: '127.0.0.1',
  meshPort: 1,
  ready: true,
};
/** A pod the route still names as ready but which is gone from this node (a stale route at zero). */
const gone: ServiceEndpoint = { ...pod, pod: { namespace: 'fn', name: 'hello-old', uid: 'u0' } };
const local: LocalTargetLookup = (_ns, name) => {
  if (name === gone.pod.name) return { ok: false, reason: 'not-found', message: `pod fn/${name} is not on this node` };
  const ep: WorkloadEndpoint = { kind: 'tcp', host: '127.0.0.1', port };
  return { ok: true, runtime: { endpoint: () => ep }, containerId: 'c', port: 8080 };
};

/** A balancer with a hold over a one-entry Service table the test changes. */
function setup(opts: {
  maxPerService: number;
  timeoutMs: number;
  wakeRepeatMs?: number;
  wakeable?: boolean;
  stale?: boolean;
}) {
  const wakeable = opts.wakeable ?? true;
  const first = opts.stale ? [gone] : [];
  let current = routeOf(wakeable, first);
  const wakes: string[] = [];
  const hold = new ServiceHold({ ...opts, route: () => current });
  hold.onWake = (ns, name) => void wakes.push(`${ns}/${name}`);
  const balancer = new ServiceBalancer({ nodeName: () => 'self', picker: { pick: (_k, c) => c[0] }, local, deliverer, hold }); // prettier-ignore
  const send = async (): Promise<{ result: BalanceResult; body?: string }> => {
    const sink = new BufferingSink(1 << 16);
    const req = { method: 'GET', path: '/', authority: 'hello', headers: [], body: RequestBody.whole(Buffer.alloc(0)), clientIp: '' }; // prettier-ignore
    const result = await balancer.deliver(routeOf(wakeable, first), req, sink, { ctx: {} });
    const res = sink.response();
    return { result, ...(res ? { body: Buffer.from(res.body).toString() } : {}) };
  };
  return {
    hold,
    wakes,
    send,
    scaleUp() {
      current = route(pod);
      hold.changed();
    },
  };
}

describe('ServiceHold', () => {
  it('holds requests, wakes the hub once, and delivers them when an endpoint appears', async () => {
    const t = setup({ maxPerService: 10, timeoutMs: 10_000, wakeRepeatMs: 60_000 });
    const held = [t.send(), t.send(), t.send()];
    expect(t.hold.size).toBe(3);
    expect(t.wakes).toEqual(['fn/hello']);
    t.hold.changed(); // a change that brings no endpoint keeps them held
    expect(t.hold.size).toBe(3);
    t.scaleUp();
    for (const r of await Promise.all(held)) {
      expect(r.result).toMatchObject({ kind: 'answered', status: 200 });
      expect(r.body).toBe('woke');
    }
    expect(t.hold.size).toBe(0);
  });

  it('refuses past the timeout with a clear reason, and a new wait wakes the hub again', async () => {
    const t = setup({ maxPerService: 10, timeoutMs: 150 });
    const r = await t.send();
    expect(r.result).toEqual({ kind: 'no-endpoints', held: { kind: 'timeout', waitedMs: 150 } });
    if (r.result.kind === 'no-endpoints') expect(heldText(r.result.held)).toMatch(/held for 150 ms/);
    await t.send();
    expect(t.wakes).toEqual(['fn/hello', 'fn/hello']);
  });

  it('refuses beyond the queue at once, and holds none with a queue of 0', async () => {
    const t = setup({ maxPerService: 2, timeoutMs: 10_000 });
    const held = [t.send(), t.send()];
    expect((await t.send()).result).toEqual({ kind: 'no-endpoints', held: { kind: 'full', maxPerService: 2 } });
    t.scaleUp();
    await Promise.all(held);
    const none = setup({ maxPerService: 0, timeoutMs: 10_000 });
    expect((await none.send()).result).toMatchObject({ kind: 'no-endpoints', held: { kind: 'full' } });
    expect(none.wakes).toEqual([]);
  });

  it('repeats the wake while requests are held, so one lost wake does not strand them; stops after', async () => {
    const t = setup({ maxPerService: 10, timeoutMs: 10_000, wakeRepeatMs: 20 });
    // The hub misses the first wake-up (coalesced, or it raced with its own scale-down).
    const held = t.send();
    expect(t.wakes).toEqual(['fn/hello']);
    await expect.poll(() => t.wakes.length).toBeGreaterThanOrEqual(3);
    t.scaleUp();
    expect(await held).toMatchObject({ result: { kind: 'answered', status: 200 }, body: 'woke' });
    const after = t.wakes.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(t.wakes.length).toBe(after);
  });

  it('holds nothing for a Service the hub did not mark scale-from-zero: 503 at once, no wake', async () => {
    const t = setup({ maxPerService: 10, timeoutMs: 10_000, wakeable: false });
    expect((await t.send()).result).toEqual({ kind: 'no-endpoints' });
    expect(t.hold.size).toBe(0);
    expect(t.wakes).toEqual([]);
  });

  it('holds a request whose route names only gone pods (scale-down and request crossed) until a fresh endpoint', async () => {
    const t = setup({ maxPerService: 10, timeoutMs: 10_000, stale: true });
    const held = t.send();
    await expect.poll(() => t.hold.size).toBe(1);
    expect(t.wakes).toEqual(['fn/hello']);
    t.hold.changed(); // still only the gone pod: keeps waiting
    expect(t.hold.size).toBe(1);
    t.scaleUp();
    expect(await held).toMatchObject({ result: { kind: 'answered', status: 200 }, body: 'woke' });
    // Without the scale-from-zero mark it is the plain 503 of an unreachable endpoint.
    const plain = setup({ maxPerService: 10, timeoutMs: 10_000, stale: true, wakeable: false });
    expect((await plain.send()).result).toMatchObject({ kind: 'unreachable' });
    expect(plain.wakes).toEqual([]);
  });

  it('retries an endpoint whose node says it is not its Service endpoint yet (that node is behind), not a 503', async () => {
    // The peer's Service table lags this node's: it refuses the first two hops as not its endpoint.
    let refusals = 2;
    const peer = createServer((req, res) => {
      req.resume();
      if (refusals-- > 0) {
        res.writeHead(403, { [MESH_ERROR_HEADER]: 'not-endpoint' });
        res.end('mesh: not a Service endpoint on this node');
      } else res.end('woke on the peer');
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const meshDeliverer = new Deliverer({ logger: silentLogger(), requestTimeoutMs: 2000, transport: 'insecure-token', meshToken: () => 't' }); // prettier-ignore
    try {
      const fresh: ServiceEndpoint = { ...pod, nodeName: 'peer', meshPort: (peer.address() as AddressInfo).port, pod: { namespace: 'fn', name: 'hello-new', uid: 'u2' } }; // prettier-ignore
      // The route names the gone pod first (the request crossed the scale-down), then the fresh one.
      let current = route(gone, fresh);
      const hold = new ServiceHold({ maxPerService: 10, timeoutMs: 10_000, route: () => current });
      const balancer = new ServiceBalancer({ nodeName: () => 'self', picker: { pick: (_k, c) => c[0] }, local, deliverer: meshDeliverer, hold }); // prettier-ignore
      const sink = new BufferingSink(1 << 16);
      const req = { method: 'GET', path: '/', authority: 'hello', headers: [], body: RequestBody.whole(Buffer.alloc(0)), clientIp: '' }; // prettier-ignore
      const result = await balancer.deliver(current, req, sink, { ctx: {} });
      expect(result).toMatchObject({ kind: 'answered', status: 200 });
      expect(Buffer.from(sink.response()?.body ?? []).toString()).toBe('woke on the peer');
      expect(refusals).toBe(-1);
      current = route(pod);
    } finally {
      await meshDeliverer.close();
      peer.closeAllConnections();
      await new Promise((r) => peer.close(r));
    }
  });
});

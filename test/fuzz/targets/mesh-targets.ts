/**
 * Fuzz target `mesh-targets`: a peer node of the cluster (its real certificate, over mTLS) aims
 * forwarded requests at random (pod, port) pairs of a real MeshServer whose node has a random set of Services (a real
 * ServiceTable). Every local pod is served by one upstream that answers on any port (the worst case:
 * a hostNetwork container, where a port is any port of the node). Properties: a request reaches the
 * upstream only for a pair that is a Service endpoint on this node; every other answer is 403 (not a
 * Service endpoint), 404 (pod not here) or 400 (bad headers), never a 5xx; the server keeps answering.
 */
import { silentLogger } from '../../../src/platform/index.js';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import { Agent as HttpsAgent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServiceRoute } from '../../../src/api/index.js';
import {
  Deliverer,
  MESH_PORT_HEADER,
  MESH_TARGET_HEADER,
  MeshServer,
  ServiceTable,
  type LocalTargetLookup,
} from '../../../src/edge-node/mesh/index.js';
import { TestPki } from '../../../src/edge-node/mesh/trust/testing/test-pki.js';
import type { FuzzTarget } from '../target.js';

const NODE = 'node-self';
const PEER = 'node-peer';
const PODS = ['web', 'db', 'solo', 'host-net'];
const PORTS: Array<number | string> = [22, 80, 443, 2379, 7400, 8080, 9090, 'http', 'metrics', 'grpc'];

interface Ctx {
  mesh: MeshServer;
  /** The peer node's keep-alive connections (its certificate, the cluster CA). */
  agent: HttpsAgent;
  upstream: Server;
  deliverer: Deliverer;
  table: ServiceTable;
  hits: number;
}

interface Case {
  services: ServiceRoute[];
  pod: string;
  port: string;
}

const portArb = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 1, max: 65535 }));
const textArb = fc.stringMatching(/^[A-Za-z0-9./_:-]{0,40}$/);

function caseArb(): fc.Arbitrary<Case> {
  const endpoint = fc.record({
    pod: fc.constantFrom(...PODS, 'elsewhere'),
    node: fc.constantFrom(NODE, NODE, 'node-other'),
    ready: fc.boolean(),
  });
  const service = fc
    .record({
      name: fc.constantFrom('svc-a', 'svc-b', 'svc-c'),
      targetPorts: fc.array(portArb, { minLength: 1, maxLength: 3 }),
      endpoints: fc.array(endpoint, { maxLength: 4 }),
    })
    .map(({ name, targetPorts, endpoints }): ServiceRoute => ({
      namespace: 'default',
      name,
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: targetPorts.map((targetPort, i) => ({ port: 80 + i, targetPort })),
      endpoints: endpoints.map((e) => ({
        pod: { namespace: 'default', name: e.pod, uid: `uid-${e.pod}` },
        nodeName: e.node,
        address: '127.0.0.1',
        meshPort: 1,
        ready: e.ready,
      })),
    }));
  return fc.record({
    services: fc.array(service, { maxLength: 3 }),
    pod: fc.oneof(
      fc.constantFrom(...PODS).map((p) => `default/${p}`),
      fc.constantFrom(...PODS).map((p) => `other/${p}`),
      textArb,
    ),
    port: fc.oneof(portArb.map(String), textArb),
  });
}

/** What the table says, computed independently of ServiceTable: the oracle. */
function allowed(services: readonly ServiceRoute[], target: string, port: string): boolean {
  return services.some(
    (s) =>
      s.ports.some((p) => String(p.targetPort) === port) &&
      s.endpoints.some((e) => e.nodeName === NODE && `${e.pod.namespace}/${e.pod.name}` === target),
  );
}

async function send(
  agent: HttpsAgent,
  port: number,
  target: string,
  targetPort: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent,
        headers: { [MESH_TARGET_HEADER]: target, [MESH_PORT_HEADER]: targetPort },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const target: FuzzTarget<Ctx, Case> = {
  name: 'mesh-targets',
  async setup() {
    const logger = silentLogger();
    const ctx = { hits: 0 } as Ctx;
    ctx.upstream = createServer((_req, res) => {
      ctx.hits++;
      res.end('reached');
    });
    await new Promise<void>((r) => ctx.upstream.listen(0, '127.0.0.1', r));
    const upstreamPort = (ctx.upstream.address() as AddressInfo).port;
    ctx.table = new ServiceTable(logger);
    // Every pod of PODS runs here, and whatever port is asked reaches the upstream.
    const local: LocalTargetLookup = (ns, name) =>
      ns === 'default' && PODS.includes(name)
        ? {
            ok: true,
            runtime: { endpoint: () => ({ kind: 'tcp', host: '127.0.0.1', port: upstreamPort }) },
            containerId: name,
            port: upstreamPort,
          }
        : { ok: false, reason: 'not-found', message: `pod ${ns}/${name} is not on this node` };
    const pki = await TestPki.create();
    const peer = await pki.node(PEER);
    ctx.agent = new HttpsAgent({
      keepAlive: true,
      key: peer.keyPem,
      cert: peer.certPem,
      ca: peer.caPem,
      // The server is node-self, reached at an address its certificate does not list.
      checkServerIdentity: () => undefined,
    });
    ctx.deliverer = new Deliverer({ logger, transport: 'mtls' });
    ctx.mesh = await MeshServer.create({
      address: '127.0.0.1',
      port: 0,
      transport: 'mtls',
      tls: await pki.node(NODE),
      local,
      deliverer: ctx.deliverer,
      logger,
      isServiceEndpoint: (ns, name, port) => ctx.table.isEndpointPort(NODE, ns, name, port),
    });
    await ctx.mesh.start();
    return ctx;
  },
  arbitrary: () => caseArb(),
  async check(ctx, c) {
    ctx.table.update(c.services);
    const before = ctx.hits;
    const res = await send(ctx.agent, ctx.mesh.port, c.pod, c.port);
    const reached = ctx.hits > before;
    const slash = c.pod.indexOf('/');
    if (allowed(c.services, c.pod, c.port)) {
      if (res.status !== 200 || !reached)
        throw new Error(`a Service endpoint (${c.pod}, ${c.port}) was not delivered: ${res.status} ${res.body}`);
      return;
    }
    if (reached)
      throw new Error(`(${c.pod}, ${c.port}) is no Service endpoint on this node but reached the pod (${res.status})`);
    const expected =
      c.port === '' || slash <= 0
        ? 400
        : PODS.includes(c.pod.slice(slash + 1)) && c.pod.startsWith('default/')
          ? 403
          : 404;
    if (res.status !== expected)
      throw new Error(`(${c.pod}, ${c.port}): expected ${expected}, got ${res.status} ${res.body}`);
    if (expected === 403 && !res.body.includes('is not a Service endpoint on this node'))
      throw new Error(`403 without a clear text: ${res.body}`);
  },
  async teardown(ctx) {
    ctx.agent?.destroy();
    await ctx.mesh?.stop();
    await ctx.deliverer?.close();
    await new Promise((r) => ctx.upstream?.close(r));
  },
};

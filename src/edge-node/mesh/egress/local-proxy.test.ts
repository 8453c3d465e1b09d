/**
 * Containers reaching Services through a real agent's local proxy: a fake OCI runtime whose
 * containers are network peers of the node (bridged pods on 127.0.77.1 with their own addresses,
 * host-network pods on 127.0.77.2), a Wasm endpoint behind a ClusterIP Service, an "external" host on
 * 127.0.0.1. Requests are made from the pods' addresses, so the node tells callers apart as it does
 * for a pod bridge.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, ServiceRoute } from '../../../api/index.js';
import type { Agent } from '../../agent.js';
import { ALLOWED_OUTGOING_HOSTS_ANNOTATION } from './egress-policy.js';
import { type FakeHub, testPod, waitFor } from '../../testing/fake-hub.js';
import { FakeRuntime } from '../../testing/fake-runtime.js';
import { AgentRig } from '../../testing/test-agents.js';

const BRIDGE = '127.0.77.1';
const HOST = '127.0.77.2';
const POD_IPS: Record<string, string> = { caller: '127.0.77.10', stranger: '127.0.77.11' };
const RANGE = { min: 24700, max: 24799 };

let rig: AgentRig;
let hub: FakeHub;
let agent: Agent;
let external: Server;
let externalPort = 0;
const wasm = new FakeRuntime();
const oci = new FakeRuntime({
  name: 'oci',
  network: { nodeAddress: (host) => (host ? HOST : BRIDGE), podIP: (c) => POD_IPS[c.pod.name] },
});

function ociPod(
  name: string,
  extra: {
    annotations?: Record<string, string>;
    hostNetwork?: boolean;
    env?: Array<{ name: string; value: string }>;
  } = {},
): Pod {
  const pod = testPod(name, { image: 'registry.local/busybox:1', ...(extra.env ? { env: extra.env } : {}) });
  return {
    ...pod,
    metadata: { ...pod.metadata, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { ...pod.spec, runtimeClassName: 'oci', ...(extra.hostNetwork ? { hostNetwork: true } : {}) },
  };
}

function service(name: string, ports: ServiceRoute['ports'], endpoints: string[]): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: 'ClusterIP',
    sessionAffinity: 'None',
    ports,
    endpoints: endpoints.map((pod) => ({
      pod: { namespace: 'default', name: pod, uid: `uid-${pod}` },
      nodeName: 'node-a',
      address: '127.0.0.1',
      meshPort: 1,
      ready: true,
    })),
  };
}

async function startAgent(): Promise<Agent> {
  return await rig.startAgent({ runtimes: [wasm, oci], backoff: { statusBatchMs: 5 }, localPortRange: RANGE });
}

/** One request from `from` to `to:port` with request target `target`. */
function send(
  to: string,
  port: number,
  target: string,
  opts: { from?: string; method?: string; host?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: to,
        port,
        path: target,
        method: opts.method ?? 'GET',
        localAddress: opts.from,
        headers: opts.host ? { host: opts.host } : {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    // node:http hands the answer to a CONNECT over as a bare socket, whatever its status.
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

const envOf = (pod: string): Record<string, string> => (oci.running(pod)[0] ?? wasm.running(pod)[0])!.config.env;

beforeAll(async () => {
  external = createServer((req, res) => res.end(`outside ${req.url}`));
  await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
  externalPort = (external.address() as AddressInfo).port;
  rig = await AgentRig.start('edge-node-local-proxy-');
  hub = rig.hub;
  hub.services = [
    service('hello', [{ name: 'http', port: 80, targetPort: 'http' }], ['hello-1']),
    service(
      'multi-port',
      [
        { port: 8080, targetPort: 'http' },
        { name: 'admin-api', port: 9090, targetPort: 'http' },
      ],
      ['hello-1'],
    ),
  ];
  hub.pods.set('node-a', [
    testPod('hello-1', { ports: [{ name: 'http', containerPort: 8080 }] }),
    ociPod('caller', {
      annotations: { [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: `127.0.0.1:${externalPort}` },
      env: [{ name: 'HTTP_PROXY', value: 'http://mine:3128' }],
    }),
    ociPod('stranger'),
    ociPod('hostpod', { hostNetwork: true }),
  ]);
  agent = await startAgent();
  await waitFor(() => oci.running().length === 3 && wasm.running().length === 1, 5000, 'pods running');
});

afterAll(async () => {
  await rig.stop();
  external.closeAllConnections();
  await new Promise((r) => external.close(r));
});

describe("containers reach Services through the node's local proxy", () => {
  it("finds Kubernetes-style Service env vars pointing at a node listener, the pod's own env winning", () => {
    const env = envOf('caller');
    expect(env.HELLO_SERVICE_HOST).toBe(BRIDGE);
    const port = Number(env.HELLO_SERVICE_PORT);
    expect(port >= RANGE.min && port <= RANGE.max).toBe(true);
    expect(env).toMatchObject({
      HELLO_SERVICE_PORT_HTTP: String(port),
      HELLO_PORT: `tcp://${BRIDGE}:${port}`,
      HELLO_PORT_80_TCP_ADDR: BRIDGE,
      HELLO_PORT_80_TCP_PORT: String(port),
    });
    expect(env.MULTI_PORT_SERVICE_PORT_ADMIN_API).toBeDefined();
    expect(env.MULTI_PORT_PORT_9090_TCP).toBe(`tcp://${BRIDGE}:${env.MULTI_PORT_SERVICE_PORT_ADMIN_API}`);
    expect(env.HTTP_PROXY).toBe('http://mine:3128');
    expect(env.http_proxy).toMatch(new RegExp(`^http://${BRIDGE.replace(/\./g, '\\.')}:[0-9]+$`));
    // A host-network pod reaches the node on loopback, at the same ports; a Wasm pod gets nothing.
    expect(envOf('hostpod')).toMatchObject({
      HELLO_SERVICE_HOST: HOST,
      HELLO_SERVICE_PORT: String(port),
      HTTP_PROXY: envOf('caller').http_proxy!.replace(BRIDGE, HOST),
    });
    expect(Object.keys(envOf('hello-1'))).toEqual([]);
  });

  it("delivers what reaches a Service listener to the Service's endpoint", async () => {
    const env = envOf('caller');
    for (const [addr, from] of [
      [BRIDGE, POD_IPS.caller],
      [HOST, undefined],
    ] as const) {
      const res = await send(addr, Number(env.HELLO_SERVICE_PORT), '/items?x=1', { ...(from ? { from } : {}) });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ pod: 'hello-1', port: 8080, path: '/items?x=1' });
    }
  });

  it('resolves Service names at the HTTP proxy, and a request for one of its own listeners', async () => {
    const proxyPort = Number(new URL(envOf('caller').http_proxy!).port);
    const byName = await send(BRIDGE, proxyPort, 'http://hello.default.svc/catalog', {
      from: POD_IPS.caller,
      host: 'hello.default.svc',
    });
    expect(byName.status).toBe(200);
    expect(JSON.parse(byName.body)).toMatchObject({ pod: 'hello-1', path: '/catalog', authority: 'hello.default.svc' });
    const own = await send(BRIDGE, proxyPort, `http://${BRIDGE}:${envOf('caller').MULTI_PORT_SERVICE_PORT}/own`, {
      from: POD_IPS.caller,
    });
    expect(JSON.parse(own.body)).toMatchObject({ pod: 'hello-1', path: '/own' });
    const wrongPort = await send(BRIDGE, proxyPort, 'http://hello:8080/', { from: POD_IPS.caller });
    expect(wrongPort.status).toBe(503);
    expect(wrongPort.body).toMatch(/does not serve port 8080/);
  });

  it('lets a pod call the external hosts its annotation allows, and refuses the rest naming host and annotation', async () => {
    const proxyPort = Number(new URL(envOf('caller').http_proxy!).port);
    const allowed = await send(BRIDGE, proxyPort, `http://127.0.0.1:${externalPort}/x`, { from: POD_IPS.caller });
    expect(allowed).toEqual({ status: 200, body: 'outside /x' });
    const denied = await send(BRIDGE, proxyPort, `http://127.0.0.1:${externalPort}/x`, { from: POD_IPS.stranger });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain(`outgoing HTTP to 127.0.0.1:${externalPort} denied`);
    expect(denied.body).toContain(
      `pod default/stranger does not allow it; list it in the pod annotation ${ALLOWED_OUTGOING_HOSTS_ANNOTATION}`,
    );
    const noService = await send(BRIDGE, proxyPort, 'http://nosuch/', { from: POD_IPS.caller });
    expect(noService.status).toBe(403);
    expect(noService.body).toMatch(/there is no Service "nosuch" in namespace "default"/);
  });

  it('gives a connection it cannot tie to a pod Services only', async () => {
    const proxyPort = Number(new URL(envOf('hostpod').http_proxy!).port);
    const svc = await send(HOST, proxyPort, 'http://hello/', {});
    expect(svc.status).toBe(200);
    const ext = await send(HOST, proxyPort, `http://127.0.0.1:${externalPort}/`, {});
    expect(ext.status).toBe(403);
    expect(ext.body).toMatch(
      /a connection from 127\.0\.0\.1 is not a pod this node can identify: only Services are reachable from it/,
    );
    const tunnel = await send(HOST, proxyPort, `127.0.0.1:${externalPort}`, { method: 'CONNECT' });
    expect(tunnel.status).toBe(405);
  });

  it("listens only on the pods' addresses, follows the Services, and keeps every port across an agent restart", async () => {
    const before = envOf('caller');
    const listening = agent.localListeners();
    expect(new Set(listening.map((l) => l.address))).toEqual(new Set([BRIDGE, HOST]));
    expect(listening).toHaveLength(2 * 4); // proxy + hello:80 + multi-port:8080,9090, on each address
    hub.setServices([service('hello', [{ name: 'http', port: 80, targetPort: 'http' }], ['hello-1'])]);
    await waitFor(() => agent.localListeners().length === 2 * 2, 5000, 'multi-port listeners closed');
    await expect(send(BRIDGE, Number(before.MULTI_PORT_SERVICE_PORT), '/')).rejects.toThrow(/ECONNREFUSED/);
    await agent.stop();
    agent = await startAgent();
    await waitFor(
      () => oci.running('caller').length === 1 && agent.localListeners().length === 2 * 2,
      5000,
      'restarted',
    );
    hub.setServices([
      service('hello', [{ name: 'http', port: 80, targetPort: 'http' }], ['hello-1']),
      service(
        'multi-port',
        [
          { port: 8080, targetPort: 'http' },
          { name: 'admin-api', port: 9090, targetPort: 'http' },
        ],
        ['hello-1'],
      ),
    ]);
    await waitFor(() => agent.localListeners().length === 2 * 4, 5000, 'multi-port back');
    const ports = new Set(agent.localListeners().map((l) => l.port));
    for (const k of ['HELLO_SERVICE_PORT', 'MULTI_PORT_SERVICE_PORT', 'MULTI_PORT_SERVICE_PORT_ADMIN_API'])
      expect(ports.has(Number(before[k]))).toBe(true);
    expect(ports.has(Number(new URL(before.http_proxy!).port))).toBe(true);
  });
});

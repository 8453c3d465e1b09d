/**
 * Pods' outgoing calls through two real agents: the caller's node resolves the Service, balances,
 * and forwards over the other node's authenticated mesh server; ClusterIP Services open no port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutgoingHttpError } from '../../api/index.js';
import type { OutgoingCaller, Pod, ServiceRoute, WorkloadRequest } from '../../api/index.js';
import type { Agent } from '../agent.js';
import { FakeHub, testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { freePort, startAgents } from '../testing/test-agents.js';
import { ALLOWED_OUTGOING_HOSTS_ANNOTATION } from './egress/egress-policy.js';

let dir: string;
let hub: FakeHub;
let a: Agent;
let b: Agent;
let external: Server;
let nodePort = 0;
const rtA = new FakeRuntime();
const rtB = new FakeRuntime();

const httpPort = [{ name: 'http', containerPort: 8080 }];

function withAnnotations(pod: Pod, annotations: Record<string, string>): Pod {
  return { ...pod, metadata: { ...pod.metadata, annotations } };
}

function endpoint(
  pod: string,
  node: 'node-a' | 'node-b',
  agent: Agent,
  zone?: string,
): ServiceRoute['endpoints'][number] {
  return {
    pod: { namespace: 'default', name: pod, uid: `uid-${pod}` },
    nodeName: node,
    address: node === 'node-b' ? '127.0.0.2' : '127.0.0.1',
    meshPort: agent.meshPort,
    ...(zone ? { zone } : {}),
    ready: true,
  };
}

function clusterIP(name: string, endpoints: ServiceRoute['endpoints'], nodePortNumber?: number): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: nodePortNumber === undefined ? 'ClusterIP' : 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 'http', ...(nodePortNumber === undefined ? {} : { nodePort: nodePortNumber }) }],
    endpoints,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-mesh-'));
  external = createServer((_req, res) => res.end('outside'));
  await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
  nodePort = await freePort();

  hub = await FakeHub.start();
  hub.pods.set('node-a', [
    withAnnotations(testPod('web-1'), {
      [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: `127.0.0.1:${(external.address() as AddressInfo).port}`,
    }),
    testPod('catalog-a', { ports: httpPort }),
  ]);
  hub.pods.set('node-b', [
    testPod('catalog-b', { node: 'node-b', ports: httpPort }),
    testPod('cart-b', { node: 'node-b', ports: httpPort }),
  ]);
  [a, b] = await startAgents(hub, dir, [
    { nodeName: 'node-a', address: '127.0.0.1', runtimes: [rtA] },
    { nodeName: 'node-b', address: '127.0.0.2', runtimes: [rtB] },
  ]);
  await waitFor(
    () => a.connected && b.connected && rtA.running().length === 2 && rtB.running().length === 2,
    5000,
    'pods running',
  );
  // `freePort` lets its probe go before the agent listens. Its ports are ones the kernel never hands
  // out and no other worker of this run draws, but another program could still bind one in between:
  // so a NodePort that did not open is tried again on another free port.
  for (let attempt = 1; ; attempt++) {
    hub.setServices([
      clusterIP('catalog', [endpoint('catalog-a', 'node-a', a), endpoint('catalog-b', 'node-b', b)]),
      clusterIP('cart', [endpoint('cart-b', 'node-b', b)]),
      // `ghost` is not on node-b: its mesh answers "not here", and the call moves on to cart-b.
      clusterIP('moved', [endpoint('ghost', 'node-b', b), endpoint('cart-b', 'node-b', b)]),
      clusterIP('front', [endpoint('catalog-a', 'node-a', a)], nodePort),
    ]);
    try {
      // Both agents open the NodePort, each in its own time: the test below reads both.
      await waitFor(
        () => a.nodePorts().includes(nodePort) && b.nodePorts().includes(nodePort),
        5000,
        `services synced (nodePort ${nodePort} open on both nodes)`,
      );
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      nodePort = await freePort();
    }
  }
});

afterAll(async () => {
  await a.stop();
  await b.stop();
  await hub.stop();
  external.closeAllConnections();
  await new Promise((r) => external.close(r));
  await rm(dir, { recursive: true, force: true });
});

const web1: OutgoingCaller = { namespace: 'default', name: 'web-1', uid: 'uid-web-1', container: 'main' };

function get(authority: string): WorkloadRequest {
  return { method: 'GET', path: '/', authority, scheme: 'http', headers: [], body: new Uint8Array(), timeoutMs: 5000 };
}

async function served(authority: string): Promise<{ pod: string; authority: string; headers: Record<string, string> }> {
  const res = await a.outgoingHttp(web1, get(authority));
  expect(res.status).toBe(200);
  return JSON.parse(Buffer.from(res.body).toString()) as {
    pod: string;
    authority: string;
    headers: Record<string, string>;
  };
}

describe("the node mesh for pods' outgoing calls", () => {
  it('reaches a ClusterIP Service on another node through the mesh, without leaking mesh headers', async () => {
    const echo = await served('cart.default.svc.cluster.local');
    expect(echo.pod).toBe('cart-b');
    expect(echo.authority).toBe('cart.default.svc.cluster.local');
    expect(Object.keys(echo.headers).filter((h) => h.startsWith('x-edgeplane'))).toEqual([]);
    expect(echo.headers.authorization).toBeUndefined();
  });

  it("prefers the endpoint on the caller's node while it is not overloaded", async () => {
    for (let i = 0; i < 6; i++) expect((await served('catalog')).pod).toBe('catalog-a');
  });

  it('tries another endpoint when the peer says the pod is not there', async () => {
    for (let i = 0; i < 4; i++) expect((await served('moved')).pod).toBe('cart-b');
  });

  it('opens no node port for ClusterIP Services', () => {
    expect(a.nodePorts()).toEqual([nodePort]);
    expect(b.nodePorts()).toEqual([nodePort]);
  });

  it("uses the caller pod's annotation for external hosts and refuses the rest", async () => {
    const port = (external.address() as AddressInfo).port;
    const res = await a.outgoingHttp(web1, get(`127.0.0.1:${port}`));
    expect(Buffer.from(res.body).toString()).toBe('outside');
    const denied = await a
      .outgoingHttp({ ...web1, name: 'catalog-a', uid: 'uid-catalog-a' }, get(`127.0.0.1:${port}`))
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OutgoingHttpError);
    expect((denied as OutgoingHttpError).failure).toBe('denied');
    expect((denied as OutgoingHttpError).message).toMatch(/pod default\/catalog-a does not allow it/);
  });
});

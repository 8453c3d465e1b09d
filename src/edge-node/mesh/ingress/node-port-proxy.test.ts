import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import type { ServiceRoute } from '../../../api/index.js';
import type { Agent } from '../../agent.js';
import { FakeHub, testPod, waitFor } from '../../testing/fake-hub.js';
import { FakeRuntime } from '../../testing/fake-runtime.js';
import { freePort, startAgents } from '../../testing/test-agents.js';

let dir: string;
let hub: FakeHub;
let a: Agent;
let b: Agent;
const rtA = new FakeRuntime();
const rtB = new FakeRuntime();
const ports = { web: 0, far: 0, empty: 0, flaky: 0, deadNode: 0 };

function endpoint(
  pod: string,
  node: 'node-a' | 'node-b' | 'node-c',
  meshPort: number,
  ready = true,
): ServiceRoute['endpoints'][number] {
  const address = node === 'node-b' ? '127.0.0.2' : '127.0.0.1';
  return { pod: { namespace: 'default', name: pod, uid: `uid-${pod}` }, nodeName: node, address, meshPort, ready };
}

function service(name: string, nodePort: number, endpoints: ServiceRoute['endpoints']): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 'http', nodePort }],
    endpoints,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-proxy-'));
  hub = await FakeHub.start();
  const httpPort = [{ name: 'http', containerPort: 8080 }];
  hub.pods.set('node-a', [testPod('web-1', { ports: httpPort }), testPod('web-2', { ports: httpPort })]);
  hub.pods.set('node-b', [testPod('far', { node: 'node-b', ports: httpPort })]);
  [a, b] = await startAgents(hub, dir, [
    { nodeName: 'node-a', address: '127.0.0.1', runtimes: [rtA] },
    { nodeName: 'node-b', address: '127.0.0.2', runtimes: [rtB] },
  ]);
  await waitFor(
    () => rtA.running().length === 2 && rtB.running().length === 1 && a.connected && b.connected,
    5000,
    'pods running',
  );
  ports.web = await freePort();
  ports.far = await freePort();
  ports.empty = await freePort();
  ports.flaky = await freePort();
  ports.deadNode = await freePort();
  const deadMesh = await freePort();
  hub.setServices([
    service('web', ports.web, [
      endpoint('web-1', 'node-a', a.meshPort),
      endpoint('web-2', 'node-a', a.meshPort),
      endpoint('web-3', 'node-a', a.meshPort, false),
    ]),
    service('far', ports.far, [endpoint('far', 'node-b', b.meshPort)]),
    service('empty', ports.empty, [endpoint('web-1', 'node-a', a.meshPort, false)]),
    service('flaky', ports.flaky, [endpoint('gone', 'node-c', deadMesh), endpoint('far', 'node-b', b.meshPort)]),
    service('dead-node', ports.deadNode, [
      endpoint('gone-1', 'node-c', deadMesh),
      endpoint('gone-2', 'node-c', deadMesh),
      endpoint('far', 'node-b', b.meshPort),
    ]),
  ]);
  await waitFor(() => a.nodePorts().length === 5, 5000, 'nodePorts open');
});

afterAll(async () => {
  await a.stop();
  await b.stop();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Echo {
  pod: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}

describe('Service proxy and mesh', () => {
  it('spreads NodePort traffic over the ready endpoints (idle ones alternate)', async () => {
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.web}/hello?i=${i}`, { method: 'POST', body: `n${i}` });
      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo).toMatchObject({ port: 8080, path: `/hello?i=${i}`, body: `n${i}` });
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      served.push(echo.pod);
    }
    // P2C over two idle endpoints breaks the tie to the one picked longer ago: strict alternation.
    expect(new Set(served)).toEqual(new Set(['web-1', 'web-2']));
    expect(served[0]).toBe(served[2]);
    expect(served[1]).toBe(served[3]);
    expect(served[0]).not.toBe(served[1]);
  });

  it('forwards to a pod on another node through its mesh server', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.far}/x`, { headers: { authorization: 'Bearer user-token' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.pod).toBe('far');
    expect(echo.headers.authorization).toBe('Bearer user-token');
    expect(echo.headers[MESH_TARGET_HEADER]).toBeUndefined();
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('retries on another endpoint when one cannot be reached', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.flaky}/`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Echo).pod).toBe('far');
    }
  });

  it("retries on another node when the first endpoint's node cannot be reached", async () => {
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.deadNode}/`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Echo).pod).toBe('far');
    }
  });

  it('answers 503 naming the service when no endpoint is ready', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.empty}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/no ready endpoints for service "default\/empty"/);
  });

  it('requires the mesh token and says when the pod is not there', async () => {
    const url = `http://127.0.0.2:${b.meshPort}/`;
    const target = { [MESH_TARGET_HEADER]: 'default/far', [MESH_PORT_HEADER]: 'http' };
    expect((await fetch(url, { headers: target })).status).toBe(401);
    expect((await fetch(url, { headers: { ...target, authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { ...target, authorization: `Bearer ${hub.meshToken}` } });
    expect(ok.status).toBe(200);
    const missing = await fetch(url, {
      headers: { ...target, [MESH_TARGET_HEADER]: 'default/nope', authorization: `Bearer ${hub.meshToken}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/default\/nope is not on this node/);
  });

  it('survives a client that aborts mid-request', async () => {
    const ctrl = new AbortController();
    const p = fetch(`http://127.0.0.1:${ports.web}/`, {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          c.enqueue(new Uint8Array(10));
        },
      }),
      duplex: 'half',
      signal: ctrl.signal,
    });
    setTimeout(() => ctrl.abort(), 50);
    await expect(p).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${ports.web}/`)).status).toBe(200);
  });

  it('closes the listener of a removed service', async () => {
    hub.setServices([service('web', ports.web, [endpoint('web-1', 'node-a', a.meshPort)])]);
    await waitFor(() => a.nodePorts().length === 1, 5000, 'listeners closed');
    await expect(fetch(`http://127.0.0.1:${ports.far}/`)).rejects.toThrow();
  });
});

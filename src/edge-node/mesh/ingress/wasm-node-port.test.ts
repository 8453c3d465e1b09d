/**
 * The NodePort path end to end inside one agent, with the real Wasm runtime and real components
 * (hello-c, misbehave): a request goes through node:http, the proxy and an executor to the guest and
 * back; an overrun deadline is a 504 and does not disturb the other service. The looping pod's deadline
 * is its own (`edgeplane.io/request-timeout: 1s`); the node's is 30 s, so a loaded machine cannot time
 * out the neighbour's request while the loop holds an executor (it once did, at a node-wide 1 s).
 */
import { silentLogger } from '../../../platform/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_TIMEOUT_ANNOTATION, type Pod, type ServiceRoute } from '../../../api/index.js';
import { WasmRuntime } from '../../../runtime-wasm/index.js';
import { addBlob, buildComponent } from '../../../runtime-wasm/testing/index.js';
import { Agent } from '../../agent.js';
import { FakeHub, testPod, waitFor } from '../../testing/fake-hub.js';
import { freePort } from '../../testing/test-agents.js';
import { nodePortRoute } from '../http/testing/listener-rig.js';

let dir: string;
let hub: FakeHub;
let agent: Agent;
let runtime: WasmRuntime;
const ports = { hello: 0, misbehave: 0 };

const podEnv = [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' as const } } }];

function service(name: string, nodePort: number, pod: string, meshPort: number): ServiceRoute {
  const ref = { namespace: 'default', name: pod, uid: `uid-${pod}` };
  return nodePortRoute(name, nodePort, [{ pod: ref, nodeName: 'node-a', address: '127.0.0.1', meshPort, ready: true }]);
}

const withAnnotations = (pod: Pod, annotations: Record<string, string>): Pod => ({
  ...pod,
  metadata: { ...pod.metadata, annotations },
});

beforeAll(async () => {
  const blobs = new Map<string, Uint8Array>();
  const helloC = addBlob(blobs, 'hello-c', buildComponent('hello-c'));
  const misbehave = addBlob(blobs, 'misbehave', buildComponent('misbehave'));
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-wasm-proxy-'));
  runtime = await WasmRuntime.create({
    dataDir: path.join(dir, 'rt'),
    logger: silentLogger(),
    fetchBlob: (d) => Promise.resolve(blobs.get(d)!),
    requestTimeoutMs: 30_000,
  });
  hub = await FakeHub.start();
  const port = [{ containerPort: 8080 }];
  hub.pods.set('node-a', [
    testPod('hello-1', { image: helloC, ports: port, env: podEnv }),
    withAnnotations(testPod('looper-1', { image: misbehave, ports: port }), { [REQUEST_TIMEOUT_ANNOTATION]: '1s' }),
  ]);
  agent = await Agent.create({
    hubUrl: hub.url,
    token: hub.token,
    nodeName: 'node-a',
    address: '127.0.0.1',
    meshPort: 0,
    labels: {},
    logger: silentLogger(),
    dataDir: path.join(dir, 'agent'),
    runtimes: [runtime],
    requestTimeoutMs: 30_000,
    backoff: { statusBatchMs: 5 },
  });
  await agent.start();
  await waitFor(() => agent.connected, 10_000, 'agent connected');
  ports.hello = await freePort();
  ports.misbehave = await freePort();
  hub.setServices([
    service('hello', ports.hello, 'hello-1', agent.meshPort),
    service('looper', ports.misbehave, 'looper-1', agent.meshPort),
  ]);
  await waitFor(() => agent.nodePorts().length === 2, 10_000, 'nodePorts open');
  // Serving once both pods are running (transpiling misbehave takes a few seconds).
  for (const p of [ports.hello, ports.misbehave]) {
    const end = Date.now() + 120_000;
    while (
      (await fetch(`http://127.0.0.1:${p}/`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > end) throw new Error(`port ${p} not serving`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('NodePort → Wasm', () => {
  it('serves the component through node:http, the proxy and an executor', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.hello}/any/path?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'hello from Edgeplane', pod: 'hello-1', node: null });
    const post = await fetch(`http://127.0.0.1:${ports.hello}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(await post.text()).toBe('method not allowed\n');
  });

  it("answers 504 when the guest overruns its pod's deadline, and the other service keeps answering", async () => {
    const looping = fetch(`http://127.0.0.1:${ports.misbehave}/loop`);
    const during = await fetch(`http://127.0.0.1:${ports.hello}/`);
    expect(during.status).toBe(200);
    const res = await looping;
    expect(res.status).toBe(504);
    expect(await res.text()).toMatch(
      /workload failed to answer: upstream timed out: GET \/loop got no answer from main within 1000 ms/,
    );
    expect((await fetch(`http://127.0.0.1:${ports.hello}/`)).status).toBe(200);
  });
});

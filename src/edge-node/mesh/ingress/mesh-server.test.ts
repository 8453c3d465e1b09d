/**
 * The mesh server delivers only to Service endpoints on its node: a peer holding the cluster's mesh
 * token cannot aim a forwarded request at an arbitrary port of a local pod. Two real agents (fake
 * hub, fake runtime serving HTTP), real sockets: legitimate forwarding (NodePort on one node to an
 * endpoint on the other, targetPort by name and by number) keeps working; anything else is a 403.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import type { ServiceRoute } from '../../../api/index.js';
import type { Agent } from '../../agent.js';
import { MESH_ERROR_HEADER } from '../protocol.js';
import { FakeHub, testPod, waitFor } from '../../testing/fake-hub.js';
import { FakeRuntime } from '../../testing/fake-runtime.js';
import { freePort, startAgents } from '../../testing/test-agents.js';

const A_ADDRESS = '127.0.0.1';
const B_ADDRESS = '127.0.0.3';

let dir: string;
let hub: FakeHub;
let a: Agent;
let b: Agent;
const ports = { named: 0, numeric: 0 };

function endpoint(pod: string): ServiceRoute['endpoints'][number] {
  return {
    pod: { namespace: 'default', name: pod, uid: `uid-${pod}` },
    nodeName: 'node-b',
    address: B_ADDRESS,
    meshPort: b.meshPort,
    ready: true,
  };
}

function service(name: string, nodePort: number, targetPort: number | string, pods: string[]): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort, nodePort }],
    endpoints: pods.map(endpoint),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-mesh-'));
  hub = await FakeHub.start();
  hub.pods.set('node-b', [
    // Declares its port by name.
    testPod('named', { node: 'node-b', ports: [{ name: 'http', containerPort: 8080 }] }),
    // A single container declaring nothing: a Service's numeric targetPort is taken as is.
    testPod('solo', { node: 'node-b' }),
    // Runs here, but no Service selects it.
    testPod('private', { node: 'node-b' }),
  ]);
  const rtB = new FakeRuntime();
  [a, b] = await startAgents(hub, dir, [
    { nodeName: 'node-a', address: A_ADDRESS, runtimes: [new FakeRuntime()] },
    { nodeName: 'node-b', address: B_ADDRESS, runtimes: [rtB] },
  ]);
  await waitFor(() => rtB.running().length === 3 && a.connected && b.connected, 5000, 'pods running');
  ports.named = await freePort();
  ports.numeric = await freePort();
  hub.setServices([service('named', ports.named, 'http', ['named']), service('solo', ports.numeric, 9090, ['solo'])]);
  await waitFor(() => a.nodePorts().length === 2 && b.nodePorts().length === 2, 5000, 'nodePorts open');
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function meshTo(pod: string, port: string): Promise<Response> {
  return fetch(`http://${B_ADDRESS}:${b.meshPort}/x`, {
    headers: {
      authorization: `Bearer ${hub.meshToken}`,
      [MESH_TARGET_HEADER]: `default/${pod}`,
      [MESH_PORT_HEADER]: port,
    },
  });
}

describe('mesh server: Service endpoints only', () => {
  it('keeps legitimate forwarding working: NodePort on node-a to endpoints on node-b, targetPort by name and by number', async () => {
    const named = await fetch(`http://${A_ADDRESS}:${ports.named}/hello`);
    expect(named.status).toBe(200);
    expect(await named.json()).toMatchObject({ pod: 'named', port: 8080, path: '/hello' });
    const numeric = await fetch(`http://${A_ADDRESS}:${ports.numeric}/hello`);
    expect(numeric.status).toBe(200);
    expect(await numeric.json()).toMatchObject({ pod: 'solo', port: 9090 });
    // The same pairs sent straight to the mesh server, as a peer does.
    expect((await meshTo('named', 'http')).status).toBe(200);
    expect((await meshTo('solo', '9090')).status).toBe(200);
  });

  it('refuses with 403 a port of a local pod that is no Service targetPort, naming pod and port', async () => {
    // A hostNetwork runc pod would make this any TCP port on the node's address (sshd, the agent's own ports …).
    const res = await meshTo('solo', '22');
    expect(res.status).toBe(403);
    expect(res.headers.get(MESH_ERROR_HEADER)).toBe('not-endpoint');
    expect(await res.text()).toBe(
      'mesh: port "22" of pod default/solo is not a Service endpoint on this node; the mesh delivers only to Service endpoints\n',
    );
    // The container port behind a named targetPort, by number: not what the Service publishes.
    expect((await meshTo('named', '8080')).status).toBe(403);
    expect((await meshTo('solo', '8080')).status).toBe(403);
    expect((await meshTo('solo', 'http')).status).toBe(403);
  });

  it('refuses a local pod no Service selects, and a pod once its Service is gone', async () => {
    const res = await meshTo('private', '9090');
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/pod default\/private is not a Service endpoint on this node/);
    hub.setServices([service('named', ports.named, 'http', ['named'])]);
    await waitFor(() => a.nodePorts().length === 1 && b.nodePorts().length === 1, 5000, 'service removed');
    const withdrawn = await meshTo('solo', '9090');
    expect(withdrawn.status).toBe(403);
    expect(await withdrawn.text()).toMatch(/pod default\/solo is not a Service endpoint/);
    expect((await meshTo('named', 'http')).status).toBe(200);
  });

  it('still answers 404 for a pod that is not here and 401 without the token', async () => {
    const missing = await meshTo('nope', '9090');
    expect(missing.status).toBe(404);
    const anon = await fetch(`http://${B_ADDRESS}:${b.meshPort}/`, {
      headers: { [MESH_TARGET_HEADER]: 'default/solo', [MESH_PORT_HEADER]: '22' },
    });
    expect(anon.status).toBe(401);
  });
});

import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/index.js';
import { PROTOCOL_VERSION } from '../api/index.js';
import { Agent, type AgentDeps } from './agent.js';
import { FakeHub, testPod, waitFor } from './testing/fake-hub.js';
import { FakeRuntime } from './testing/fake-runtime.js';

let dir: string;
let hub: FakeHub;
const agents: Agent[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-agent-'));
  hub = await FakeHub.start();
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

async function startAgent(runtime: FakeRuntime, over: Partial<AgentDeps> = {}): Promise<Agent> {
  const agent = await Agent.create({
    hubUrl: over.hubUrl ?? hub.url,
    token: hub.token,
    nodeName: 'node-a',
    address: '127.0.0.1',
    meshPort: 0,
    dataDir: dir,
    labels: { zone: 'lab' },
    runtimes: [runtime],
    logger: silentLogger(),
    backoff: { session: { initialMs: 50, maxMs: 200 }, restart: { initialMs: 50, maxMs: 400 }, statusBatchMs: 10 },
    ...over,
  });
  agents.push(agent);
  await agent.start();
  return agent;
}

describe('Agent hub session', () => {
  it('says hello with the node facts, then heartbeats', async () => {
    await startAgent(new FakeRuntime(), { capacity: { memory: '2Gi' } });
    const hello = await waitFor(() => hub.messages('hello')[0], 5000, 'hello');
    expect(hello.protocol).toBe(PROTOCOL_VERSION);
    expect(hello.node).toMatchObject({
      name: 'node-a',
      labels: { zone: 'lab' },
      address: '127.0.0.1',
      os: process.platform,
      runtimes: ['wasm'],
    });
    expect(hello.node.capacity).toMatchObject({ memory: '2Gi', pods: '110' });
    expect(hello.node.arch).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
    expect(hello.node.meshPort).toBeGreaterThan(0);
    await waitFor(() => hub.messages('heartbeat').length >= 2, 5000, 'two heartbeats');
  });

  it('redials after the hub drops the socket and gets the whole pod set again', async () => {
    const rt = new FakeRuntime();
    hub.pods.set('node-a', [testPod('web')]);
    const agent = await startAgent(rt);
    await waitFor(() => hub.lastStatus('web')?.phase === 'Running', 5000, 'web running');
    hub.dropAll();
    await waitFor(() => hub.connections >= 2 && agent.connected, 5000, 'reconnect');
    await waitFor(() => hub.messages('hello').length === 2, 5000, 'second hello');
    // Level-triggered: the same set again does not restart anything.
    await agent.idle();
    expect(rt.calls.filter((c) => c.startsWith('start web')).length).toBe(1);
    // Every pod's status is reported after each (re)connect.
    await waitFor(
      () =>
        hub
          .messages('podStatus')
          .filter((m) => m.pods.some((p) => p.pod.name === 'web' && p.status.phase === 'Running')).length >= 2,
      5000,
      'status after reconnect',
    );
  });

  it('runs pods from podSync, reports their status, stops pods missing from the next sync', async () => {
    const rt = new FakeRuntime();
    const b = testPod('b', {
      env: [
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'X', value: '1' },
      ],
    });
    hub.pods.set('node-a', [testPod('a'), b]);
    await startAgent(rt);
    await waitFor(() => rt.running().length === 2, 5000, 'both running');
    expect(rt.running('b')[0]?.config.env).toEqual({ NODE: 'node-a', IP: '127.0.0.1', X: '1' });
    const st = await waitFor(
      () => (hub.lastStatus('a')?.phase === 'Running' ? hub.lastStatus('a') : undefined),
      5000,
      'a Running',
    );
    expect(st.hostIP).toBe('127.0.0.1');
    expect(st.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(st.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0 });
    expect(st.containerStatuses?.[0]?.imageID).toMatch(/^sha256:/);
    expect(st.containerStatuses?.[0]?.containerID).toMatch(/^wasm:\/\//);
    expect(st.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();

    // The same b as before: a changed spec would restart it, and this checks only that a is stopped.
    hub.setPods('node-a', [b]);
    await waitFor(() => rt.running('a').length === 0, 5000, 'a stopped');
    expect(rt.running('b').length).toBe(1);
    expect(rt.calls).toContain('remove a/main');
  });

  it('stops a pod with a deletionTimestamp gracefully and reports podGone', async () => {
    const rt = new FakeRuntime();
    const pod = testPod('doomed');
    hub.pods.set('node-a', [pod]);
    await startAgent(rt);
    await waitFor(() => rt.running('doomed').length === 1, 5000, 'running');
    const deleting = {
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 7 },
    };
    hub.send('node-a', { type: 'podUpsert', pod: deleting });
    const gone = await waitFor(() => hub.messages('podGone')[0], 5000, 'podGone');
    expect(gone.pods).toEqual([{ namespace: 'default', name: 'doomed', uid: 'uid-doomed' }]);
    expect(rt.calls).toContain('stop doomed/main grace=7000');
    expect(rt.containers.size).toBe(0);
  });

  it('podDelete stops a pod at once', async () => {
    const rt = new FakeRuntime();
    hub.pods.set('node-a', [testPod('x')]);
    await startAgent(rt);
    await waitFor(() => rt.running('x').length === 1, 5000, 'running');
    hub.send('node-a', { type: 'podDelete', pod: { namespace: 'default', name: 'x', uid: 'uid-x' } });
    await waitFor(() => rt.calls.includes('stop x/main grace=0'), 5000, 'stopped');
    await waitFor(() => rt.containers.size === 0, 5000, 'removed');
  });

  it('answers a garbage frame with an error frame and stays up', async () => {
    const rt = new FakeRuntime();
    const agent = await startAgent(rt);
    await waitFor(() => agent.connected, 5000, 'connected');
    hub.sendRaw('node-a', Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    hub.send('node-a', {
      type: 'podSync',
      pods: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [] } }],
    } as never);
    await waitFor(() => hub.messages('error').length >= 2, 5000, 'two error frames');
    expect(hub.messages('error')[0]?.message).toMatch(/undecodable|invalid/);
    expect(hub.messages('error')[1]?.message).toMatch(/podSync/);
    hub.setPods('node-a', [testPod('after')]);
    await waitFor(() => rt.running('after').length === 1, 5000, 'still working');
    expect(agent.connected).toBe(true);
  });

  it('reports an unauthorized join token and keeps retrying', async () => {
    const events: string[] = [];
    await startAgent(new FakeRuntime(), {
      token: 'wrong',
      backoff: { session: { unauthorizedMs: 100 } },
      onSessionEvent: (ev) => events.push(ev.type),
    });
    // The hub counts a refusal when it sends it; the agent reports it when the answer arrives, a moment
    // later: wait for both (a CI run read the events between the two).
    await waitFor(
      () => hub.rejected >= 2 && events.filter((e) => e === 'unauthorized').length >= 2,
      5000,
      'two refused dials, each reported',
    );
    expect(events).not.toContain('connected');
  });

  it('fails a pod whose runtime is missing, with a clear reason', async () => {
    const pod = testPod('oci-pod');
    pod.spec.runtimeClassName = 'oci';
    hub.pods.set('node-a', [pod]);
    await startAgent(new FakeRuntime());
    const st = await waitFor(() => hub.lastStatus('oci-pod'), 5000, 'status');
    expect(st.phase).toBe('Failed');
    expect(st.reason).toBe('UnsupportedRuntime');
    expect(st.message).toMatch(/no runtime "oci".*available: wasm/);
  });

  it('brings its pods back from local state when restarted without a hub', async () => {
    const rt = new FakeRuntime();
    hub.pods.set('node-a', [testPod('keeper')]);
    const first = await startAgent(rt);
    await waitFor(() => rt.running('keeper').length === 1, 5000, 'running');
    await first.stop();
    await rt.close();
    await hub.stop();

    const rt2 = new FakeRuntime();
    const second = await startAgent(rt2, { hubUrl: 'http://127.0.0.1:9' });
    await waitFor(() => rt2.running('keeper').length === 1, 5000, 'restored from disk');
    expect(second.connected).toBe(false);
    expect(second.podStatuses().map((p) => p.pod.name)).toEqual(['keeper']);
    hub = await FakeHub.start(); // for afterEach
  });
  it('forgets local pods the hub no longer binds to it when it comes back, and keeps the ones it does', async () => {
    const rt = new FakeRuntime();
    hub.pods.set('node-a', [testPod('stays'), testPod('moved')]);
    const first = await startAgent(rt);
    await waitFor(() => rt.running('stays').length === 1 && rt.running('moved').length === 1, 5000, 'running');
    await first.stop();
    await rt.close();

    // While the node was away, 'moved' went to another node.
    hub.pods.set('node-a', [testPod('stays')]);
    const rt2 = new FakeRuntime();
    const second = await startAgent(rt2);
    await waitFor(() => rt2.running('stays').length === 1, 5000, 'the bound pod runs');
    const files = (): string[] => readdirSync(path.join(dir, 'pods')).filter((f) => f.endsWith('.json'));
    await waitFor(() => files().length === 1, 5000, 'the moved pod forgotten');
    expect(rt2.running('moved')).toEqual([]);
    expect(second.podStatuses().map((p) => p.pod.name)).toEqual(['stays']);
  });
});

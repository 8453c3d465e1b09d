import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_HUB_FRAME_BYTES, typeByKind } from '../../api/index.js';
import type { Event, NodeToHub, Pod, HubToNode } from '../../api/index.js';
import { HubSession } from '../../edge-node/index.js';
import { Hub } from '../hub.js';
import { RawNode, nodeInfo, until } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;
const EVENT = typeByKind('v1', 'Event')!;

function pod(name: string, nodeName: string, padBytes = 0): Pod {
  const annotations = padBytes > 0 ? { pad: 'x'.repeat(padBytes) } : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
  };
}

interface TestHub {
  hub: Hub;
  url: string;
  token: string;
  dir: string;
  logs: string[];
}

async function startHub(gateway: NonNullable<Parameters<typeof Hub.create>[0]['gateway']>): Promise<TestHub> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pod-sync-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    // The gateway's logic over plain ws:// (TLS is covered by test/tls-join.test.ts and src/hub/tls).
    insecureHttp: true,
    logger: pino({ level: 'info' }, sink),
    gateway,
  });
  const url = (await hub.start()).url;
  return { hub, url, token: hub.auth.joinToken, dir, logs };
}

async function stopHub(t: TestHub | undefined): Promise<void> {
  if (!t) return;
  await t.hub.stop();
  await rm(t.dir, { recursive: true, force: true });
}

async function eventsAbout(t: TestHub, name: string): Promise<Event[]> {
  return (await t.hub.api.list<Event>(EVENT, { namespace: 'default' })).items.filter(
    (e) => e.involvedObject.name === name,
  );
}

describe('podSync at the real frame bound (32 MiB)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub({});
  });
  afterAll(() => stopHub(t));

  it('splits a pod set larger than one frame into parts the node takes, and the real node session applies them as one set', async () => {
    // 170 pods of 200 KiB (under the 256 KiB annotation bound): 34 MB, more than a node's maxPayload.
    const first = await RawNode.connect(t.url, t.token, 'big-node');
    const names: string[] = [];
    for (let i = 0; i < 170; i++) {
      names.push(`big-${i}`);
      await t.hub.api.create(POD, pod(`big-${i}`, 'big-node', 200 * 1024));
    }
    await until(() => first.of('podUpsert').length >= 170, 'the upserts');
    await first.close();

    const again = await RawNode.connect(t.url, t.token, 'big-node');
    const syncs = again.frames.filter((f) => f.msg.type === 'podSync');
    expect(syncs.length).toBeGreaterThan(1);
    for (const f of syncs) expect(f.bytes).toBeLessThanOrEqual(MAX_HUB_FRAME_BYTES);
    const parts = syncs.map((f) => f.msg as Extract<HubToNode, { type: 'podSync' }>);
    expect(parts.slice(0, -1).every((p) => p.more === true)).toBe(true);
    expect(parts.at(-1)!.more).toBeUndefined();
    expect(parts.flatMap((p) => p.pods.map((x) => x.metadata.name)).sort()).toEqual([...names].sort());
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
    await again.close();
    expect(t.logs.some((l) => l.includes('sent in parts') && l.includes('big-node'))).toBe(true);

    // The agent's own session gathers the parts and hands on one podSync holding the whole set.
    const got: HubToNode[] = [];
    const session = new HubSession({
      hubUrl: t.url,
      token: t.token,
      logger: pino({ level: 'silent' }),
      nodeInfo: () => nodeInfo('big-node'),
      onMessage: (m) => void got.push(m),
    });
    session.start();
    try {
      await until(() => got.some((m) => m.type === 'serviceSync'), 'the sync through HubSession');
      const delivered = got.filter((m): m is Extract<HubToNode, { type: 'podSync' }> => m.type === 'podSync');
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.more).toBeUndefined();
      expect(delivered[0]!.pods.map((p) => p.metadata.name).sort()).toEqual([...names].sort());
    } finally {
      await session.stop();
    }
  }, 120_000);
});

describe('gateway bounds with small limits', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub({
      nodeFrameLimits: { maxBytes: 64 * 1024, maxPods: 10 },
      nodeEventRate: { perSecond: 0.001, burst: 5 },
    });
  });
  afterAll(() => stopHub(t));

  it('refuses a pod that cannot fit a frame with a Warning Event, splits the rest, and refuses pods past the per-node maximum', async () => {
    const node = await RawNode.connect(t.url, t.token, 'small-node');
    for (let i = 0; i < 8; i++) await t.hub.api.create(POD, pod(`small-${i}`, 'small-node', 20 * 1024));
    const huge = await t.hub.api.create<Pod>(POD, pod('huge', 'small-node', 100 * 1024));
    await until(() => node.of('podDelete').some((d) => d.pod.name === 'huge'), 'the podDelete of the pod too large');
    expect(node.of('podUpsert').map((u) => u.pod.metadata.name)).not.toContain('huge');
    await until(async () => (await eventsAbout(t, 'huge')).length > 0, 'the Event about the pod too large');
    const [ev] = await eventsAbout(t, 'huge');
    expect(ev).toMatchObject({
      type: 'Warning',
      reason: 'PodTooLargeForNode',
      involvedObject: { uid: huge.metadata.uid },
    });
    expect(ev!.message).toMatch(
      /^pod was not sent to its node: encoded, it takes 100\.\d KiB, more than the 64\.0 KiB a node accepts in one frame \(node small-node\)$/,
    );
    await node.close();

    const again = await RawNode.connect(t.url, t.token, 'small-node');
    const syncs = again.frames.filter((f) => f.msg.type === 'podSync');
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    for (const f of syncs) expect(f.bytes).toBeLessThanOrEqual(64 * 1024);
    const names = syncs.flatMap((f) =>
      (f.msg as Extract<HubToNode, { type: 'podSync' }>).pods.map((p) => p.metadata.name),
    );
    expect(names.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `small-${i}`).sort());
    await until(
      async () => ((await eventsAbout(t, 'huge'))[0]?.count ?? 0) >= 2,
      'the Event repeated at the next sync',
    );
    await again.close();

    // Twelve pods bound to a node that takes ten: the last two are refused, the ten are sent in one frame.
    const crowded = await RawNode.connect(t.url, t.token, 'crowded-node');
    for (let i = 0; i < 12; i++)
      await t.hub.api.create(POD, pod(`crowd-${String(i).padStart(2, '0')}`, 'crowded-node'));
    await crowded.close();
    const back = await RawNode.connect(t.url, t.token, 'crowded-node');
    const sync = back.of('podSync');
    expect(sync).toHaveLength(1);
    expect(sync[0]!.pods).toHaveLength(10);
    const sent = new Set(sync[0]!.pods.map((p) => p.metadata.name));
    const left = Array.from({ length: 12 }, (_, i) => `crowd-${String(i).padStart(2, '0')}`).filter(
      (n) => !sent.has(n),
    );
    expect(left).toHaveLength(2);
    for (const name of left) {
      await until(async () => (await eventsAbout(t, name)).length > 0, `the Event about ${name}`);
      const [e] = await eventsAbout(t, name);
      expect(e).toMatchObject({ type: 'Warning', reason: 'TooManyPodsForNode' });
      expect(e!.message).toMatch(/12 pods are bound to the node, and a node takes at most 10/);
    }
    await back.close();
  }, 60_000);

  it('rate-limits the Events a node records: drops past the burst, logs once, counts the drops, and keeps the bucket across a redial', async () => {
    const node = await RawNode.connect(t.url, t.token, 'chatty-node');
    const p = await t.hub.api.create<Pod>(POD, pod('chatty-pod', 'chatty-node'));
    const ref = { namespace: 'default', name: 'chatty-pod', uid: p.metadata.uid! };
    await until(() => node.of('podUpsert').length > 0, 'the upsert');
    for (let i = 0; i < 40; i++)
      node.send({ type: 'event', pod: ref, eventType: 'Warning', reason: 'Flood', message: `distinct message ${i}` });
    // Messages are handled in order: once this status is stored, every event before it was handled.
    node.send({ type: 'podStatus', pods: [{ pod: ref, status: { phase: 'Running', message: 'barrier-1' } }] });
    await until(
      () => t.hub.api.get<Pod>(POD, 'default', 'chatty-pod').then((x) => x.status?.message === 'barrier-1'),
      'the status barrier',
    );
    const events = (await eventsAbout(t, 'chatty-pod')).filter((e) => e.reason === 'Flood');
    expect(events).toHaveLength(5);
    expect(events.every((e) => e.source?.host === 'chatty-node')).toBe(true);
    expect(t.logs.filter((l) => l.includes('faster than its rate limit') && l.includes('chatty-node'))).toHaveLength(1);
    await node.close();
    await until(
      () => t.logs.some((l) => l.includes('dropped 35 events') && l.includes('chatty-node')),
      'the drop count at disconnect',
    );

    // Redialing buys no fresh burst: the bucket is still empty.
    const again = await RawNode.connect(t.url, t.token, 'chatty-node');
    again.send({ type: 'event', pod: ref, eventType: 'Warning', reason: 'Flood', message: 'after the redial' });
    again.send({ type: 'podStatus', pods: [{ pod: ref, status: { phase: 'Running', message: 'barrier-2' } }] });
    await until(
      () => t.hub.api.get<Pod>(POD, 'default', 'chatty-pod').then((x) => x.status?.message === 'barrier-2'),
      'the second barrier',
    );
    expect((await eventsAbout(t, 'chatty-pod')).filter((e) => e.reason === 'Flood')).toHaveLength(5);
    await again.close();
    await until(
      () => t.logs.some((l) => l.includes('dropped 1 events') && l.includes('chatty-node')),
      'the second drop count',
    );
  }, 60_000);

  it("drops a node's event recorder when it disconnects (a repeat after the redial is a new Event, not a count on the cached one)", async () => {
    const node = await RawNode.connect(t.url, t.token, 'flappy-node');
    const p = await t.hub.api.create<Pod>(POD, pod('flappy-pod', 'flappy-node'));
    const ref = { namespace: 'default', name: 'flappy-pod', uid: p.metadata.uid! };
    const ev: NodeToHub = { type: 'event', pod: ref, eventType: 'Normal', reason: 'Started', message: 'same message' };
    node.send(ev);
    node.send(ev);
    await until(
      async () => (await eventsAbout(t, 'flappy-pod')).some((e) => e.count === 2),
      'the repeat counted on one Event',
    );
    await node.close();
    const again = await RawNode.connect(t.url, t.token, 'flappy-node');
    again.send(ev);
    await until(
      async () => (await eventsAbout(t, 'flappy-pod')).length === 2,
      'a second Event from the fresh recorder',
    );
    expect((await eventsAbout(t, 'flappy-pod')).map((e) => e.count).sort()).toEqual([1, 2]);
    await again.close();
  }, 30_000);
});

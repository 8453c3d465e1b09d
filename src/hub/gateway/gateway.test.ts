import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { GATEWAY_PATH, HubToNode, PROTOCOL_VERSION, decodeFrame, encodeFrame, typeByKind } from '../../api/index.js';
import type { Event, NodeInfo } from '../../api/index.js';
import { Hub } from '../hub.js';

/** A raw node peer over a real WebSocket: records every frame the hub sends and how it closed. */
class RawNode {
  readonly frames: HubToNode[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(decodeFrame(HubToNode, data as Buffer)));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }

  static async connect(url: string, token: string, opts: { autoPong?: boolean } = {}): Promise<RawNode> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + GATEWAY_PATH, {
      headers: { authorization: `Bearer ${token}` },
      autoPong: opts.autoPong ?? true,
    });
    const node = new RawNode(ws);
    await node.opened;
    return node;
  }

  hello(name: string, instanceId: string, address = '10.0.0.7'): void {
    this.ws.send(encodeFrame({ type: 'hello', protocol: PROTOCOL_VERSION, instanceId, node: nodeInfo(name, address) }));
  }

  async waitFor(type: HubToNode['type']): Promise<HubToNode> {
    await until(() => this.frames.some((f) => f.type === type), `a ${type} frame`);
    return this.frames.find((f) => f.type === type)!;
  }
}

function nodeInfo(name: string, address: string): NodeInfo {
  return {
    name,
    labels: {},
    address,
    meshPort: 7500,
    arch: 'arm64',
    os: 'linux',
    runtimes: ['wasm'],
    capacity: { cpu: '4', memory: '4Gi', pods: '110' },
    agentVersion: 'test',
  };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let hub: Hub;
let url: string;
let token: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    // The gateway's logic over plain ws:// (TLS is covered by test/tls-join.test.ts and src/hub/tls).
    insecureHttp: true,
    logger: pino({ level: 'info' }, sink),
    gateway: { duplicateCheckTimeoutMs: 500, sessionLimits: { maxBadFrames: 5, maxBufferedBytes: 256 * 1024 } },
  });
  url = (await hub.start()).url;
  token = hub.auth.joinToken;
});

afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('node gateway against hostile peers', () => {
  it('disconnects a peer that keeps sending garbage (1008), logging it once with the node and count, not the bytes', async () => {
    const node = await RawNode.connect(url, token);
    node.hello('garbage-node', 'instance-garbage-1');
    await node.waitFor('welcome');
    const marker = Buffer.from('GARBAGE-MARKER');
    for (let i = 0; i < 20 && node.ws.readyState === WebSocket.OPEN; i++)
      node.ws.send(Buffer.concat([Buffer.from([0xc1]), marker]));
    const closed = await node.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/too many invalid frames \(6 within 60 s\)/);
    expect(node.frames.filter((f) => f.type === 'error').length).toBeLessThanOrEqual(6);
    const disconnects = logLines.filter((l) => l.includes('disconnecting node'));
    expect(disconnects).toHaveLength(1);
    expect(JSON.parse(disconnects[0]!)).toMatchObject({ node: 'garbage-node', count: 6 });
    expect(logLines.filter((l) => l.includes('rejected frame from node') && l.includes('garbage-node'))).toHaveLength(
      1,
    );
    expect(logLines.join('\n')).not.toContain('GARBAGE-MARKER');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('counts frames before hello and hostile msgpack as garbage too', async () => {
    const node = await RawNode.connect(url, token);
    const deep = new Uint8Array(100_001).fill(0x91);
    const hostile = [
      deep,
      Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]),
      Uint8Array.from([0xd4, 0x73, 0x00]),
      encodeFrame({ type: 'heartbeat', time: 'x' }),
    ];
    for (let i = 0; i < 10 && node.ws.readyState === WebSocket.OPEN; i++) node.ws.send(hostile[i % hostile.length]!);
    expect((await node.closed).code).toBe(1008);
    const errors = node.frames.filter((f) => f.type === 'error').map((f) => (f as { message: string }).message);
    expect(errors).toContainEqual(expect.stringMatching(/nesting deeper than 32/));
    expect(errors).toContainEqual(expect.stringMatching(/"heartbeat" before "hello"/));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('refuses a second agent for a connected node name, records an Event, and keeps the first', async () => {
    const first = await RawNode.connect(url, token);
    first.hello('pi-1', 'instance-first-000');
    await first.waitFor('welcome');
    const copy = await RawNode.connect(url, token);
    copy.hello('pi-1', 'instance-copy-0000', '10.0.0.99');
    const err = (await copy.waitFor('error')) as Extract<HubToNode, { type: 'error' }>;
    expect(err).toMatchObject({ fatal: true, reason: 'DuplicateNode' });
    expect(err.message).toMatch(
      /^node name pi-1 is already connected from 10\.0\.0\.7 \(peer 127\.0\.0\.1:\d+\); is this a copy of another node's data dir\?$/,
    );
    expect((await copy.closed).code).toBe(4409);
    expect(copy.frames.some((f) => f.type === 'welcome' || f.type === 'podSync')).toBe(false);
    expect(first.ws.readyState).toBe(WebSocket.OPEN);
    // The Node still shows the first agent's address.
    const nodeObj = await hub.api.get<{ status?: { addresses?: Array<{ address: string }> } } & Event>(
      typeByKind('v1', 'Node')!,
      undefined,
      'pi-1',
    );
    expect(nodeObj.status?.addresses?.[0]?.address).toBe('10.0.0.7');
    await until(() => logLines.some((l) => l.includes('DuplicateNodeRejected')), 'hub log line');
    const events = await hub.api.list<Event>(typeByKind('v1', 'Event')!, { namespace: 'default' });
    const ev = events.items.find((e) => e.reason === 'DuplicateNodeRejected');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: 'pi-1' } });
    expect(ev?.message).toMatch(/reported address 10\.0\.0\.99/);
    first.ws.close();
  });

  it('drops a node that stops reading once its unread frames pass the cap, instead of buffering them', async () => {
    const node = await RawNode.connect(url, token);
    node.hello('slow-node', 'instance-slow-0000');
    await node.waitFor('welcome');
    node.ws.pause(); // reads nothing more: what the hub sends piles up in the kernel, then in ws
    const POD = typeByKind('v1', 'Pod')!;
    const big = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 150 && node.ws.readyState === WebSocket.OPEN; i++) {
      await hub.api.create(POD, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `slow-${i}`, namespace: 'default', annotations: { pad: big } },
        spec: { nodeName: 'slow-node', containers: [{ name: 'c', image: 'x.wasm' }] },
      });
      if (logLines.some((l) => l.includes('node is not reading its frames'))) break;
    }
    await until(
      () => logLines.some((l) => l.includes('node is not reading its frames') && l.includes('slow-node')),
      'the hub to drop the slow node',
    );
    node.ws.resume();
    await node.closed;
  }, 60_000);

  it('lets the same agent process back in at once, and a newcomer in once the old session stops answering', async () => {
    const old = await RawNode.connect(url, token);
    old.hello('pi-2', 'instance-pi2-0000');
    await old.waitFor('welcome');
    // Same instance id (a reconnect after a blip, while the hub still holds the stale socket): replaces it.
    const again = await RawNode.connect(url, token);
    again.hello('pi-2', 'instance-pi2-0000');
    await again.waitFor('welcome');
    await old.closed;
    // A different process while the current session no longer answers pings: takes over after the check.
    const mute = await RawNode.connect(url, token, { autoPong: false });
    mute.hello('pi-3', 'instance-mute-000');
    await mute.waitFor('welcome');
    const replacement = await RawNode.connect(url, token);
    replacement.hello('pi-3', 'instance-new-0000');
    await replacement.waitFor('welcome');
    await mute.closed;
    expect(replacement.ws.readyState).toBe(WebSocket.OPEN);
    again.ws.close();
    replacement.ws.close();
  });
});

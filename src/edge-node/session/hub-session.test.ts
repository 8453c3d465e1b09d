import { silentLogger } from '../../platform/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { NodeToHub, decodeFrame, encodeFrame } from '../../api/index.js';
import { Agent, type AgentDeps } from '../agent.js';
import { FakeHub, testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { HubSession, type SessionEvent } from './hub-session.js';

const REFUSAL =
  "node name node-a is already connected from 10.0.0.7 (peer 127.0.0.1:4000); is this a copy of another node's data dir?";

/** A hub that refuses every hello the way the real gateway refuses a duplicate node name. */
class RefusingHub {
  dials = 0;
  /** While false, upgrades get a 503 (a hub that is down or restarting). */
  answering = true;
  readonly hellos: Array<Extract<NodeToHub, { type: 'hello' }>> = [];
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor() {
    this.server = createServer((_req, res) => res.writeHead(404).end());
    this.server.on('upgrade', (req, socket, head) => {
      this.dials++;
      if (!this.answering) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data) => {
          const msg = decodeFrame(NodeToHub, data as Buffer);
          if (msg.type !== 'hello') return;
          this.hellos.push(msg);
          ws.send(encodeFrame({ type: 'error', message: REFUSAL, fatal: true, reason: 'DuplicateNode' }));
          ws.close(4409, REFUSAL.slice(0, 120));
        });
      });
    });
  }

  static async start(): Promise<RefusingHub> {
    const hub = new RefusingHub();
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    return hub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let dir: string;
let refusing: RefusingHub;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hub-session-'));
  refusing = await RefusingHub.start();
});

afterEach(async () => {
  await refusing.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('HubSession refused as a duplicate node', () => {
  it('reports the refusal once, with the hub message, and stops redialing', async () => {
    const events: SessionEvent[] = [];
    const session = new HubSession({
      hubUrl: refusing.url,
      token: 't',
      logger: silentLogger(),
      backoff: { initialMs: 10, maxMs: 20 },
      nodeInfo: () => ({
        name: 'node-a',
        labels: {},
        address: '10.0.0.8',
        meshPort: 7500,
        arch: 'arm64',
        os: 'linux',
        runtimes: ['wasm'],
        capacity: { cpu: '1', memory: '1Gi', pods: '10' },
        agentVersion: 't',
      }),
      onMessage: () => undefined,
      onEvent: (ev) => events.push(ev),
    });
    session.start();
    const refused = await waitFor(() => events.find((e) => e.type === 'refused'), 5000, 'refused');
    expect(refused).toEqual({ type: 'refused', reason: 'DuplicateNode', message: REFUSAL });
    expect(refusing.hellos[0]?.instanceId).toBe(session.instanceId);
    // Ten back-off periods later there has still been only the one dial (an absence cannot be polled
    // for: the window is the observation).
    await new Promise((r) => setTimeout(r, 200));
    expect(refusing.dials).toBe(1);
    expect(events.filter((e) => e.type === 'refused' || e.type === 'unreachable')).toEqual([refused]);
    await session.stop();
  });

  it('an agent with pods in local state starts none of them before the refusal, and reports it', async () => {
    // A first agent leaves a pod in the data dir (as the node whose dir was copied would).
    const deps = await leaveKeeperInDataDir({ session: { initialMs: 20, maxMs: 50 }, statusBatchMs: 10 });

    // The copy dials a hub that refuses it: nothing may run, and the refusal reaches the CLI.
    const copyRuntime = new FakeRuntime();
    const events: SessionEvent[] = [];
    const copy = await Agent.create({
      ...deps,
      hubUrl: refusing.url,
      runtimes: [copyRuntime],
      localRestoreDelayMs: 60_000,
      onSessionEvent: (ev) => events.push(ev),
    });
    await copy.start();
    await waitFor(() => events.find((e) => e.type === 'refused'), 5000, 'refused');
    expect(copy.refusedByHub).toBe(true);
    expect(copyRuntime.calls).toEqual([]);
    expect(copy.podStatuses()).toEqual([]);
    await copy.stop();
  });

  it('an agent that restored its pods while the hub was away stops them when the hub then refuses it', async () => {
    const deps = await leaveKeeperInDataDir({
      session: { initialMs: 20, maxMs: 50 },
      restart: { initialMs: 20, maxMs: 50 },
      statusBatchMs: 10,
    });

    refusing.answering = false;
    const copyRuntime = new FakeRuntime();
    const events: SessionEvent[] = [];
    const copy = await Agent.create({
      ...deps,
      hubUrl: refusing.url,
      runtimes: [copyRuntime],
      onSessionEvent: (ev) => events.push(ev),
    });
    await copy.start();
    await waitFor(() => copyRuntime.running('keeper').length === 1, 5000, 'restored while the hub is away');
    refusing.answering = true;
    await waitFor(() => events.find((e) => e.type === 'refused'), 5000, 'refused');
    expect(copyRuntime.running()).toEqual([]);
    expect(copy.podStatuses()).toEqual([]);
    await copy.stop();
  });
});

/**
 * Runs a first agent of node-a until its pod `keeper` runs, then stops it: the data dir holds the pod,
 * as the node whose dir was copied would leave it. Returns the agent deps a copy starts with.
 */
async function leaveKeeperInDataDir(backoff: AgentDeps['backoff']): Promise<Omit<AgentDeps, 'hubUrl' | 'runtimes'>> {
  const fake = await FakeHub.start();
  fake.pods.set('node-a', [testPod('keeper')]);
  const original = new FakeRuntime();
  const deps = {
    token: fake.token,
    nodeName: 'node-a',
    address: '127.0.0.1',
    meshPort: 0,
    dataDir: dir,
    labels: {},
    logger: silentLogger(),
    backoff,
  };
  const first = await Agent.create({ ...deps, hubUrl: fake.url, runtimes: [original] });
  await first.start();
  await waitFor(() => original.running('keeper').length === 1, 5000, 'keeper running');
  await first.stop();
  await original.close();
  await fake.stop();
  return deps;
}

describe('HubSession re-paced by the hub (protocol 11)', () => {
  it("beats at the interval of the hub's heartbeatPace from then on", async () => {
    const fake = await FakeHub.start({ heartbeatIntervalSeconds: 0.05 });
    const runtime = new FakeRuntime();
    const agent = await Agent.create({
      token: fake.token,
      nodeName: 'node-paced',
      address: '127.0.0.1',
      meshPort: 0,
      dataDir: dir,
      labels: {},
      logger: silentLogger(),
      hubUrl: fake.url,
      runtimes: [runtime],
    });
    try {
      await agent.start();
      const beats = (): number => fake.messages('heartbeat', 'node-paced').length;
      await waitFor(() => beats() >= 4, 5000, 'beats at the welcome interval (50 ms)');
      expect(fake.send('node-paced', { type: 'heartbeatPace', heartbeatIntervalSeconds: 0.4 })).toBe(true);
      // Within one new interval the first beat at the new pace comes; then count over three more.
      await new Promise((r) => setTimeout(r, 450)); // the new interval, then a window measured below
      const from = beats();
      await new Promise((r) => setTimeout(r, 1200)); // three new intervals: 3 beats (24 at the old pace)
      const during = beats() - from;
      expect(during).toBeGreaterThanOrEqual(1); // still beating (a loaded machine may delay one)
      expect(during).toBeLessThanOrEqual(4);
    } finally {
      await agent.stop();
      await runtime.close();
      await fake.stop();
    }
  });
});

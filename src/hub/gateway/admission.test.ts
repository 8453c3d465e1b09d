/**
 * Admission and the node lifecycle during a reconnect storm, over real WebSockets (127.0.157.1), a real
 * SQLite store, registry, informers and lifecycle controller (its clock moved by the test): a node
 * whose certificate was verified is alive while admission makes it wait — queued, or told `Busy` until
 * the time it was told to come back — and a hello nobody certified (a token) proves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { HubToNode, PROTOCOL_VERSION, decodeFrame, encodeFrame, nodeReadyStatus, typeByKind } from '../../api/index.js';
import type { Node, Pod } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { NodeLifecycleController } from '../controllers/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { ObjectRegistry, type ObjectAPI } from '../registry/index.js';
import { delegatingApi } from '../registry/testing/delegating-api.js';
import { SqliteStore } from '../store/index.js';
import { NodeAdmission } from './admission.js';
import type { AdmissionLimits } from './admission-slots.js';
import { nodeInfo, until } from './testing/raw-node.js';
import { NodeSession } from './session.js';

const NODE = typeByKind('v1', 'Node')!;
const GRACE_S = 10;

describe('admission keeps certified nodes that wait alive', () => {
  let dir: string;
  let store: SqliteStore;
  let informers: InformerFactory;
  let lifecycle: NodeLifecycleController;
  let wss: WebSocketServer;
  let url: string;
  let now = Date.parse('2026-12-04T07:00:00Z');
  const clock = { now: (): number => now };
  let nodes: Informer<Node>;
  /** Server-side sessions by the order their sockets were accepted. */
  const sessions: NodeSession[] = [];
  /** The certificate name the next accepted socket is given (as the TLS upgrade would set it). */
  const certifiedNames: Array<string | undefined> = [];
  /** The sessions admission has admitted, by node name (the gateway's map; its close handler prunes it). */
  const admitted = new Map<string, NodeSession>();
  let registry: ObjectRegistry;
  let admission: NodeAdmission;
  let newAdmission: (limits: AdmissionLimits, through?: ObjectAPI) => NodeAdmission;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-admission-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    const api = new ObjectRegistry({ store, clock, logger: silentLogger() });
    for (const name of ['waiter', 'busy', 'anon']) {
      const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      await api.updateStatus(NODE, { ...n, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    }
    informers = new InformerFactory(api, silentLogger());
    nodes = informers.for<Node>('v1', 'Node');
    const pods = informers.for<Pod>('v1', 'Pod');
    await informers.start();
    const events = new EventRecorder({ api, clock, logger: silentLogger(), component: 'test' });
    const lifecycleThrough = (through: ObjectAPI): NodeLifecycleController =>
      new NodeLifecycleController({
        ...{ api: through, nodes, pods, events, clock, logger: silentLogger() },
        gracePeriodSeconds: GRACE_S,
        evictionTimeoutSeconds: 30,
        tickMs: 20,
        monotonic: () => 0, // no stall of the loop counts: these tests move their own clock
      });
    lifecycle = lifecycleThrough(api);
    lifecycle.start();
    newAdmission = (limits, through = api) =>
      new NodeAdmission({
        ...{ api: through, nodes, events, logger: silentLogger(), sessions: admitted },
        // Another API: a lifecycle writing through it too (not started: the hello's writes are its own).
        lifecycle: through === api ? lifecycle : lifecycleThrough(through),
        onAdmitted: () => undefined,
        limits,
      });
    registry = api;
    // No slot ever frees: one hello waits in the queue, the next ones are told Busy (10–20 s).
    admission = newAdmission({ maxConcurrent: 0, maxQueued: 1, minRetryMs: 20_000, maxRetryMs: 20_000 });
    wss = new WebSocketServer({ host: '127.0.157.1', port: 0 });
    wss.on('connection', (ws) => {
      const session = new NodeSession(
        ws,
        { onMessage: (s, m) => (m.type === 'hello' ? admission.hello(s, m) : undefined), onClose: () => undefined },
        silentLogger(),
      );
      session.certifiedName = certifiedNames.shift();
      sessions.push(session);
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    url = `ws://127.0.157.1:${(wss.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await lifecycle.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    informers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    sessions.length = 0;
    admitted.clear();
  });

  /** Dials as `name` (certified as it, or not) and says hello; resolves with the socket and the hub's frames. */
  async function hello(name: string, certified: boolean): Promise<{ ws: WebSocket; frames: HubToNode[] }> {
    certifiedNames.push(certified ? name : undefined);
    const ws = new WebSocket(url);
    const frames: HubToNode[] = [];
    ws.on('message', (d) => frames.push(decodeFrame(HubToNode, d as Buffer)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      encodeFrame({ type: 'hello', protocol: PROTOCOL_VERSION, instanceId: `instance-${name}`, node: nodeInfo(name) }),
    );
    return { ws, frames };
  }
  const ready = (name: string): string | undefined => {
    const n = nodes.get(undefined, name);
    return n && nodeReadyStatus(n);
  };
  /** Waits for a few ticks of the lifecycle at the current clock. */
  const ticks = async (): Promise<void> => {
    const start = Date.now();
    await until(() => Date.now() - start > 100, 'a few ticks');
  };

  it('a queued certified node is alive while its socket is open; a Busy one until it was told to come back; a token hello not at all', async () => {
    const start = now;
    const waiter = await hello('waiter', true);
    await until(() => sessions[0]?.helloReceived === true, 'the first hello in the queue');
    const busy = await hello('busy', true);
    const anon = await hello('anon', false);
    const refused = async (c: { ws: WebSocket; frames: HubToNode[] }): Promise<number> => {
      await until(() => c.ws.readyState === WebSocket.CLOSED, 'the Busy refusal');
      const err = c.frames.find((f) => f.type === 'error');
      expect(err).toMatchObject({ reason: 'Busy' });
      return err?.type === 'error' ? (err.retryAfterMs ?? 0) : 0;
    };
    const retryMs = await refused(busy);
    await refused(anon);
    expect(retryMs).toBeGreaterThanOrEqual(10_000);

    now = start + (GRACE_S + 1) * 1000; // past the start grace
    await until(() => ready('anon') === 'Unknown', 'the uncertified node Unknown');
    expect(ready('busy')).toBe('True');
    expect(ready('waiter')).toBe('True');

    now = start + retryMs + (GRACE_S + 1) * 1000; // the Busy node did not come back when told
    await until(() => ready('busy') === 'Unknown', 'the Busy node Unknown once its excuse and grace ran out');
    await ticks();
    expect(ready('waiter')).toBe('True'); // still waiting in the queue, its socket open

    waiter.ws.terminate();
    await until(() => !sessions[0]!.open, 'the queued session closed');
    now += (GRACE_S + 1) * 1000;
    await until(() => ready('waiter') === 'Unknown', 'the node that left the queue Unknown after the grace period');
  });

  it("fails the hello, as a refused registration, when the Node's status write is refused", async () => {
    // The store refuses every Node status write (the hello's report and its Ready condition go in one).
    const refusing = delegatingApi(registry, {
      updateStatus: (type, obj, opts) =>
        type.kind === 'Node'
          ? Promise.reject(new Error('the store refused the write'))
          : registry.updateStatus(type, obj, opts),
    });
    admission = newAdmission({ maxConcurrent: 4, maxQueued: 4, minRetryMs: 1000, maxRetryMs: 1000 }, refusing);
    // Known to the store but not Ready, so its hello must write.
    const n = await registry.get<Node>(NODE, undefined, 'waiter');
    await registry.updateStatus(NODE, { ...n, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } });
    const c = await hello('waiter', true);
    await until(() => c.ws.readyState === WebSocket.CLOSED, 'the refused hello closed');
    const err = c.frames.find((f) => f.type === 'error');
    expect(err?.type === 'error' && err.message).toBe('node registration refused: the store refused the write');
    expect(c.frames.some((f) => f.type === 'welcome')).toBe(false);
    expect(ready('waiter')).toBe('Unknown'); // nothing written
  });
});

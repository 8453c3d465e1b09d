/**
 * The Service stream's fan-out over real WebSockets: the stream built on real informers over a real
 * store (the hub's API without its controllers), and real sockets to peers that apply what they get
 * by the agent's rules. Bounds are shrunk (100 endpoints a frame, 64 KiB high-water mark) so a few
 * thousand endpoints exercise what 5,000 do at the defaults.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { HubToNode, MAX_HUB_FRAME_BYTES, MAX_HUB_FRAME_VALUES, decodeFrame, typeByKind } from '../../api/index.js';
import type { Endpoints, Node, Pod, Service } from '../../api/index.js';
import { InformerFactory } from '../informers/index.js';
import { silentLogger } from '../../platform/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { NodeInterest } from './node-interest.js';
import { DEFAULT_PUMP_LIMITS } from './service-pump.js';
import { ServiceStream, type StreamSession } from './service-stream.js';
import { ServiceView } from './testing/service-view.js';
import { until } from './testing/raw-node.js';

const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NODE = typeByKind('v1', 'Node')!;
const HIGH_WATER = 64 * 1024;
const CHUNK = 100;

/** A peer: a real client socket whose frames are applied to a `ServiceView`. */
class Peer {
  readonly view = new ServiceView();
  readonly frames: Array<{ msg: HubToNode; bytes: number }> = [];
  readonly closed: Promise<void>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = decodeFrame(HubToNode, data, { maxValues: MAX_HUB_FRAME_VALUES });
      this.frames.push({ msg, bytes: data.byteLength });
      this.view.apply(msg);
    });
    this.closed = new Promise((resolve) => ws.on('close', () => resolve()));
  }

  /** Connects; `resume` offers a stream position, and `held` is what the agent kept from before. */
  static async connect(
    url: string,
    name: string,
    resume?: { epoch: string; revision: number },
    held?: ServiceView['routes'],
  ): Promise<Peer> {
    const q = new URLSearchParams({
      node: name,
      ...(resume ? { epoch: resume.epoch, rev: String(resume.revision) } : {}),
    });
    const ws = new WebSocket(`${url}/?${q.toString()}`, { maxPayload: MAX_HUB_FRAME_BYTES, perMessageDeflate: false });
    const peer = new Peer(ws);
    for (const [k, v] of held ?? []) peer.view.routes.set(k, v);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await until(() => peer.frames.some((f) => f.msg.type === 'serviceSet'), `the set of ${name}`);
    return peer;
  }

  /** The web Service's route as this peer holds it. */
  web(): { ports: number[]; endpoints: number; notReady: string[] } | undefined {
    const r = this.view.route('shop', 'web');
    if (!r) return undefined;
    return {
      ports: r.ports.map((p) => p.port),
      endpoints: r.endpoints.length,
      notReady: r.endpoints.filter((e) => !e.ready).map((e) => e.pod.name),
    };
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

/** The hub side: the stream's sessions are this server's sockets; it records how full each got. */
class Fanout {
  readonly sessions = new Map<
    string,
    StreamSession & { peakBuffered: number; largestFrame: number; written: number }
  >();
  readonly wss = new WebSocketServer({ host: '127.0.56.1', port: 0, perMessageDeflate: false });
  stream!: ServiceStream;

  get url(): string {
    return `ws://127.0.56.1:${(this.wss.address() as AddressInfo).port}`;
  }

  listen(): void {
    this.wss.on('connection', (ws, req) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const nodeName = q.get('node')!;
      const session = {
        nodeName,
        protocol: 4,
        peakBuffered: 0,
        largestFrame: 0,
        written: 0,
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        probe(timeoutMs: number) {
          return new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            ws.once('pong', () => {
              clearTimeout(timer);
              resolve(true);
            });
            ws.ping();
          });
        },
        sendFrame(frame: Buffer) {
          ws.send(frame);
          session.written += frame.byteLength;
          session.largestFrame = Math.max(session.largestFrame, frame.byteLength);
          session.peakBuffered = Math.max(session.peakBuffered, ws.bufferedAmount);
        },
      };
      this.sessions.set(nodeName, session);
      ws.on('close', () => {
        if (this.sessions.get(nodeName) !== session) return;
        this.sessions.delete(nodeName);
        this.stream.disconnected(nodeName);
      });
      const epoch = q.get('epoch');
      this.stream.welcome(session, epoch ? { epoch, revision: Number(q.get('rev')) } : undefined);
    });
  }
}

function endpoints(count: number, notReady: number[] = []): Endpoints {
  const addr = (i: number): NonNullable<NonNullable<Endpoints['subsets']>[number]['addresses']>[number] => ({
    ip: '10.0.0.7',
    nodeName: 'host',
    targetRef: { kind: 'Pod', namespace: 'shop', name: `web-${i}`, uid: `uid-web-${i}` },
  });
  const all = Array.from({ length: count }, (_, i) => i);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'shop' },
    subsets: [
      {
        addresses: all.filter((i) => !notReady.includes(i)).map(addr),
        ...(notReady.length ? { notReadyAddresses: notReady.map(addr) } : {}),
        ports: [{ port: 8080 }],
      },
    ],
  };
}

function service(port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { ports: [{ port, targetPort: 8080 }] },
  };
}

const pod = (node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `client-${node}`, namespace: 'shop', uid: `uid-client-${node}` },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'x.wasm' }] },
});

describe('Service stream fan-out: bounded parts, per-node backpressure, coalescing, resumption', () => {
  let t: TestApi;
  let informers: InformerFactory;
  const hub = new Fanout();
  const interest = new NodeInterest();
  const interested = (node: string): void => void interest.podChanged(undefined, pod(node));
  const setEndpoints = async (count: number, notReady: number[] = []): Promise<void> => {
    const cur = await t.api.get<Endpoints>(EP, 'shop', 'web');
    await t.api.update(EP, { ...cur, subsets: endpoints(count, notReady).subsets });
  };

  beforeAll(async () => {
    t = await createTestApi();
    await t.api.ensureNamespace('shop');
    const node = await t.api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'host' },
      spec: {},
    });
    await t.api.updateStatus(NODE, { ...node, status: { daemonEndpoints: { kubeletEndpoint: { Port: 7500 } } } });
    informers = new InformerFactory(t.api, silentLogger());
    const services = informers.for<Service>('v1', 'Service');
    const eps = informers.for<Endpoints>('v1', 'Endpoints');
    const nodes = informers.for<Node>('v1', 'Node');
    hub.stream = new ServiceStream({
      services,
      endpoints: eps,
      nodes,
      interest,
      sessionOf: (n) => hub.sessions.get(n),
      sessions: () => hub.sessions.values(),
      logger: silentLogger(),
      coalesceMs: 5,
      chunkEndpoints: CHUNK,
      pump: { highWaterBytes: HIGH_WATER, turnBytes: 32 * 1024 },
    });
    const changed = (o: { metadata: { namespace?: string; name?: string } }): void =>
      hub.stream.serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    for (const inf of [services, eps] as const)
      inf.addHandler({ onAdd: changed, onUpdate: (_o, n) => changed(n), onDelete: changed });
    nodes.addHandler({
      onAdd: (n) => hub.stream.nodeChanged(undefined, n),
      onUpdate: (o, n) => hub.stream.nodeChanged(o, n),
    });
    await informers.start();
    hub.listen();
    await t.api.create(SVC, service(80));
    await t.api.create(EP, endpoints(1000));
  });
  afterAll(async () => {
    hub.stream.stop();
    for (const c of hub.wss.clients) c.terminate();
    await new Promise((r) => hub.wss.close(r));
    informers.stop();
    await t.close();
  });

  it('sends a large route in parts of bounded size that an agent applies as they come; one flip is one small patch', async () => {
    await until(() => hub.stream.revision > 0, 'the stream to see the Service');
    interested('a');
    const a = await Peer.connect(hub.url, 'a');
    await until(() => a.web()?.endpoints === 1000, 'the whole route');
    const set = a.frames.find((f) => f.msg.type === 'serviceSet')!;
    const parts = a.frames.filter((f) => f.msg.type === 'serviceDelta');
    expect(set.msg.type === 'serviceSet' && set.msg.services[0]!.route.endpoints).toHaveLength(CHUNK);
    expect(parts).toHaveLength(1000 / CHUNK - 1);
    // Every frame is about 100 endpoints' worth, none the whole route.
    for (const f of [set, ...parts]) expect(f.bytes).toBeLessThan(CHUNK * 200);
    expect(a.view.misses).toEqual([]);

    const before = a.frames.length;
    await setEndpoints(1000, [7]);
    await until(() => a.web()?.notReady.length === 1, 'the flip');
    const flip = a.frames.slice(before);
    expect(flip).toHaveLength(1);
    expect(flip[0]!.msg).toMatchObject({
      type: 'serviceDelta',
      endpoints: { upsert: [{ pod: { name: 'web-7' }, ready: false }] },
    });
    expect(flip[0]!.bytes).toBeLessThan(400);
    expect(a.web()).toMatchObject({ endpoints: 1000, notReady: ['web-7'] });
    await a.close();
  });

  it('serves many nodes in turns that let the loop run between them, each node ending with the whole route', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `many-${i}`);
    for (const n of names) interested(n);
    const peers = await Promise.all(names.map((n) => Peer.connect(hub.url, n)));
    await until(() => peers.every((p) => p.web()?.endpoints === 1000), 'every node to hold the route');
    // A reshaped Service goes whole to all 60 (9 MB at these sizes). Nodes read what they are sent
    // while other nodes still wait their turn: the loop was not held for the whole fan-out.
    const waitingWhenRead: number[] = [];
    for (const p of peers) p.ws.on('message', () => waitingWhenRead.push(hub.stream.pending));
    await t.api.update(SVC, { ...(await t.api.get<Service>(SVC, 'shop', 'web')), spec: service(81).spec });
    await until(
      () => peers.every((p) => p.web()?.ports[0] === 81 && p.web()?.endpoints === 1000),
      'the new route everywhere',
    );
    expect(Math.max(...waitingWhenRead)).toBeGreaterThan(0);
    for (const p of peers) expect(p.view.misses).toEqual([]);
    await Promise.all(peers.map((p) => p.close()));
  });

  it('holds back from a node that does not read, keeps its socket near the high-water mark, and sends it only the newest state', async () => {
    await setEndpoints(4000);
    interested('slow');
    interested('fast');
    const slow = await Peer.connect(hub.url, 'slow');
    const fast = await Peer.connect(hub.url, 'fast');
    await until(() => slow.web()?.endpoints === 4000 && fast.web()?.endpoints === 4000, 'both to hold the route');
    slow.ws.pause(); // stops reading its socket (and answering pings)
    const seen = slow.frames.length;
    const writtenBefore = hub.sessions.get('slow')!.written;
    // 30 reshapes of a 4,000-endpoint route: ~18 MB for a node sent every one.
    for (let port = 100; port < 130; port++) {
      await t.api.update(SVC, { ...(await t.api.get<Service>(SVC, 'shop', 'web')), spec: service(port).spec });
      await until(() => fast.web()?.ports[0] === port, `the fast node to see port ${port}`);
    }
    const s = hub.sessions.get('slow')!;
    // Never written to above the mark: what the socket holds is the mark plus one frame at most.
    expect(s.peakBuffered).toBeLessThanOrEqual(HIGH_WATER + s.largestFrame);
    // And no more than one window (256 KiB) unacknowledged: the kernel's buffers hide nothing.
    expect(s.written - writtenBefore).toBeLessThanOrEqual(DEFAULT_PUMP_LIMITS.windowBytes + s.largestFrame);
    slow.ws.resume();
    await until(() => slow.web()?.ports[0] === 129 && slow.web()?.endpoints === 4000, 'the slow node to catch up');
    // It got the newest route, not one per change it missed.
    const routes = slow.frames.slice(seen).filter((f) => f.msg.type === 'serviceDelta' && f.msg.route).length;
    expect(routes).toBeLessThan(30);
    expect(fast.frames.filter((f) => f.msg.type === 'serviceDelta' && f.msg.route).length).toBeGreaterThanOrEqual(30);
    expect(slow.view.misses).toEqual([]);
    expect(hub.sessions.get('slow')!.peakBuffered).toBeLessThanOrEqual(HIGH_WATER + s.largestFrame);
    await slow.close();
    await fast.close();
  });

  it('resumes a reconnecting node from the revision it holds: kept, then only the change it missed', async () => {
    await setEndpoints(1000);
    interested('r');
    const first = await Peer.connect(hub.url, 'r');
    await until(() => first.web()?.endpoints === 1000 && first.web()?.notReady.length === 0, 'the route');
    const at = first.view.resumePoint()!;
    const held = first.view.routes;
    await first.close();

    await setEndpoints(1000, [3]);
    await until(() => hub.stream.revision > at.revision, 'the change');
    const back = await Peer.connect(hub.url, 'r', at, held);
    await until(() => back.web()?.notReady[0] === 'web-3', 'the missed change');
    const set = back.frames[0]!;
    expect(set.msg).toMatchObject({ type: 'serviceSet', services: [], keep: [{ name: 'web' }] });
    const sent = back.frames.reduce((a, f) => a + f.bytes, 0);
    expect(sent).toBeLessThan(1000);
    expect(back.view.misses).toEqual([]);
    expect(back.web()?.endpoints).toBe(1000);
    await back.close();

    // Another hub process's epoch resumes nothing: the whole route again.
    const stranger = await Peer.connect(hub.url, 'r', { epoch: 'another-hub', revision: at.revision });
    await until(() => stranger.web()?.endpoints === 1000, 'the whole route');
    expect(stranger.frames[0]!.msg).toMatchObject({ type: 'serviceSet', keep: [] });
    await stranger.close();
  });
});

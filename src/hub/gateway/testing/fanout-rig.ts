/**
 * The hub side of the Service stream fan-out tests (`service-fanout*.test.ts`): the stream built on real
 * informers over a real store (the hub's API without its controllers, `createTestApi`), its sessions the
 * sockets of a real WebSocket server, and the Service `shop/web` with 1,000 endpoints on one node. Bounds
 * are shrunk (100 endpoints a frame, 64 KiB high-water mark) so a few thousand endpoints exercise what
 * 5,000 do at the defaults. Tests only.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { WebSocketServer } from 'ws';
import { typeByKind } from '../../../api/index.js';
import type { Endpoints, Node, Pod, Service } from '../../../api/index.js';
import { InformerFactory } from '../../informers/index.js';
import { silentLogger } from '../../../platform/index.js';
import { createTestApi, type TestApi } from '../../testing/index.js';
import { NodeInterest } from '../node-interest.js';
import { ServiceStream, type StreamSession } from '../service-stream.js';

export const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NODE = typeByKind('v1', 'Node')!;
/** The stream's high-water mark of a node's socket. */
export const HIGH_WATER = 64 * 1024;
/** Endpoints a frame. */
export const CHUNK = 100;

/** The hub side: the stream's sessions are this server's sockets; it records how full each got. */
export class Fanout {
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

/** The endpoints of `shop/web`: `count` pods (`web-<i>`) on node `host`, those at `notReady` not ready. */
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

/** The Service `shop/web` on `port`, to the pods' port 8080. */
export function service(port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { ports: [{ port, targetPort: 8080 }] },
  };
}

/** A client pod on `node` (what makes a node interested in the Service). */
const pod = (node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `client-${node}`, namespace: 'shop', uid: `uid-client-${node}` },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'x.wasm' }] },
});

/** The current tests' API and hub, and the test's steps on them. */
export interface FanoutRig {
  /** The API the stream's informers read. */
  readonly t: TestApi;
  readonly hub: Fanout;
  /** Makes `node` interested in the Service (a pod of it that is a client). */
  interested: (node: string) => void;
  /** Sets `count` endpoints of `web`, those at `notReady` not ready. */
  setEndpoints: (count: number, notReady?: number[]) => Promise<void>;
}

/**
 * Registers (inside a `describe`) the API, the stream and its server, started before the tests with the
 * node `host`, the Service `shop/web` on port 80 and its 1,000 endpoints, and stopped after them.
 */
export function fanoutRig(): FanoutRig {
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

  return {
    get t(): TestApi {
      return t;
    },
    hub,
    interested,
    setEndpoints,
  };
}

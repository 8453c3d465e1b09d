/**
 * The Service stream sends a Service's first ready endpoint at once (requests held for a Service
 * woken from zero wait for it) and keeps coalescing every other change. The stream runs on real
 * informers over a real store; its coalescing timer is a clock this test advances by hand, and the
 * window is long, so a change sent before the clock moves was sent without waiting for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubToNode, MAX_HUB_FRAME_VALUES, decodeFrame, typeByKind } from '../../api/index.js';
import type { Endpoints, Node, Pod, Service } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { NodeInterest } from './node-interest.js';
import { ServiceStream, type StreamSession } from './service-stream.js';
import { until } from './testing/raw-node.js';
import { ServiceView } from './testing/service-view.js';

const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NODE = typeByKind('v1', 'Node')!;
/** Far longer than the test waits: a frame sent before the hand clock moves did not wait for it. */
const WINDOW_MS = 600_000;

/** Timers that fire only when the test advances the clock. */
class HandClock {
  #now = 0;
  readonly #timers = new Set<{ at: number; fn: () => void }>();

  /** Timers started and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  readonly after = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.#now + ms, fn };
    this.#timers.add(timer);
    return () => this.#timers.delete(timer);
  };

  advance(ms: number): void {
    this.#now += ms;
    for (const t of [...this.#timers])
      if (t.at <= this.#now) {
        this.#timers.delete(t);
        t.fn();
      }
  }
}

/** A node session in memory: the frames it is sent, applied to a view of its Services. */
class MemorySession implements StreamSession {
  readonly protocol = 4;
  readonly bufferedAmount = 0;
  readonly view = new ServiceView();
  frames = 0;
  constructor(readonly nodeName: string) {}

  sendFrame(frame: Buffer): void {
    this.frames++;
    this.view.apply(decodeFrame(HubToNode, frame, { maxValues: MAX_HUB_FRAME_VALUES }));
  }

  /** Ready endpoints of shop/web as this node holds them. */
  ready(): number {
    return this.view.route('shop', 'web')?.endpoints.filter((e) => e.ready).length ?? -1;
  }
}

/** Endpoints of pods web-0..web-(count-1) on node `host`, those in `ready` ready. */
function endpoints(count: number, ready: number[]): Endpoints['subsets'] {
  const addr = (i: number): NonNullable<NonNullable<Endpoints['subsets']>[number]['addresses']>[number] => ({
    ip: '10.0.0.7',
    nodeName: 'host',
    targetRef: { kind: 'Pod', namespace: 'shop', name: `web-${i}`, uid: `uid-web-${i}` },
  });
  const all = Array.from({ length: count }, (_, i) => i);
  const notReady = all.filter((i) => !ready.includes(i));
  return [
    {
      ...(ready.length ? { addresses: ready.map(addr) } : {}),
      ...(notReady.length ? { notReadyAddresses: notReady.map(addr) } : {}),
      ports: [{ port: 8080 }],
    },
  ];
}

describe('Service stream: a first ready endpoint goes at once, other changes coalesce', () => {
  let t: TestApi;
  let informers: InformerFactory;
  let eps: Informer<Endpoints>;
  let stream: ServiceStream;
  const clock = new HandClock();
  const node = new MemorySession('a');

  /** Writes shop/web's Endpoints and waits until the stream's informer has seen them. */
  const setEndpoints = async (count: number, ready: number[]): Promise<void> => {
    const cur = await t.api.get<Endpoints>(EP, 'shop', 'web');
    const next = await t.api.update<Endpoints>(EP, { ...cur, subsets: endpoints(count, ready) });
    const rv = next.metadata.resourceVersion;
    await until(() => eps.get('shop', 'web')?.metadata.resourceVersion === rv, 'the informer to see the write');
  };
  /** A few turns of the event loop, for anything the fan-out would send. */
  const turns = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  beforeAll(async () => {
    t = await createTestApi();
    await t.api.ensureNamespace('shop');
    const host = await t.api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'host' },
      spec: {},
    });
    await t.api.updateStatus(NODE, { ...host, status: { daemonEndpoints: { kubeletEndpoint: { Port: 7500 } } } });
    await t.api.create<Service>(SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { ports: [{ port: 80, targetPort: 8080 }] },
    });
    await t.api.create<Endpoints>(EP, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'shop' },
      subsets: endpoints(2, []),
    });
    informers = new InformerFactory(t.api, silentLogger());
    const services = informers.for<Service>('v1', 'Service');
    eps = informers.for<Endpoints>('v1', 'Endpoints');
    const nodes = informers.for<Node>('v1', 'Node');
    const interest = new NodeInterest();
    const client: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'shop', uid: 'uid-client' },
      spec: { nodeName: 'a', containers: [{ name: 'c', image: 'x.wasm' }] },
    };
    interest.podChanged(undefined, client);
    stream = new ServiceStream({
      services,
      endpoints: eps,
      nodes,
      interest,
      sessionOf: (n) => (n === node.nodeName ? node : undefined),
      sessions: () => [node],
      logger: silentLogger(),
      coalesceMs: WINDOW_MS,
      after: clock.after,
    });
    const changed = (o: { metadata: { namespace?: string; name?: string } }): void =>
      stream.serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    for (const inf of [services, eps] as const)
      inf.addHandler({ onAdd: changed, onUpdate: (_o, n) => changed(n), onDelete: changed });
    await informers.start();
    stream.flush();
    stream.welcome(node);
  });
  afterAll(async () => {
    stream.stop();
    informers.stop();
    await t.close();
  });

  it('sends the first ready endpoint of a Service without waiting out the window, every time it wakes', async () => {
    expect(node.ready()).toBe(0);
    await setEndpoints(2, [0]);
    await until(() => node.ready() === 1, 'the first ready endpoint, before the clock moves', 5_000);
    expect(clock.pending).toBe(0);

    // Back to zero ready (scaled down): coalesced as any change.
    await setEndpoints(2, []);
    await turns();
    expect(node.ready()).toBe(1);
    expect(clock.pending).toBe(1);
    clock.advance(WINDOW_MS);
    await until(() => node.ready() === 0, 'the change, once the window passed', 5_000);

    // Woken again: at once again.
    await setEndpoints(2, [1]);
    await until(() => node.ready() === 1, 'the first ready endpoint of the second wake', 5_000);
    expect(node.view.misses).toEqual([]);
  });

  it('keeps coalescing a change to a Service that already has a ready endpoint', async () => {
    const before = node.frames;
    await setEndpoints(3, [0, 1]);
    await turns();
    expect(node.frames).toBe(before);
    expect(node.ready()).toBe(1);
    expect(clock.pending).toBe(1);
    clock.advance(WINDOW_MS);
    await until(() => node.ready() === 2, 'the coalesced change', 5_000);
    expect(node.view.route('shop', 'web')?.endpoints).toHaveLength(3);
    expect(node.view.misses).toEqual([]);
  });
});

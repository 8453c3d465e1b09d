import { describe, expect, it } from 'vitest';
import type { Node, NodeUsage, Pod } from '../../api/index.js';
import type { InformerHandler } from '../informers/index.js';
import { silentLogger } from '../../platform/index.js';
import { UsageStore } from './usage-store.js';

const pod = (name: string, node: string, uid = `uid-${name}`): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'x.wasm' }] },
});

/** Informers reduced to what the store reads: `get`, and the handlers a test fires. */
function cache<T extends Pod | Node>(items: T[]) {
  const handlers: InformerHandler<T>[] = [];
  return {
    items,
    handlers,
    get: (_ns: string | undefined, name: string) => items.find((i) => i.metadata.name === name),
    addHandler: (h: InformerHandler<T>) => void handlers.push(h),
  };
}

const frame = (pods: Array<{ name: string; uid?: string; requests?: number }>): NodeUsage => ({
  type: 'usage',
  timestamp: '2026-12-02T15:00:05Z',
  windowSeconds: 5,
  node: { cpuNanoCores: 10, memoryBytes: 20 },
  pods: pods.map((p) => ({
    pod: { namespace: 'default', name: p.name, uid: p.uid ?? `uid-${p.name}` },
    containers: [{ name: 'c', cpuNanoCores: 1, memoryBytes: 2 }],
    ...(p.requests !== undefined
      ? { http: { requests: p.requests, errors4xx: 1, errors5xx: 5, latencyMsSum: 40 } }
      : {}),
  })),
});

function setup() {
  let now = 1_000_000;
  const pods = cache<Pod>([pod('a', 'n1'), pod('b', 'n2')]);
  const nodes = cache<Node>([{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }]);
  const store = new UsageStore({ pods, nodes, clock: { now: () => now }, logger: silentLogger() });
  return { store, pods, nodes, advance: (ms: number) => (now += ms) };
}

describe('UsageStore', () => {
  it('keeps a report’s latency histogram as one count per bucket (none from a node that sends none)', () => {
    const { store } = setup();
    const f = frame([{ name: 'a', requests: 10 }]);
    f.pods[0]!.http!.latencyBuckets = [
      [0, 7],
      [11, 3],
    ];
    store.report('n1', f);
    expect(store.pod('default', 'a')?.latencyBuckets).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    store.report('n1', frame([{ name: 'a', requests: 10 }]));
    expect(store.pod('default', 'a')?.latencyBuckets).toBeUndefined();
  });

  it('keeps the latest sample of pods bound to the reporting node, with request rates', () => {
    const { store } = setup();
    store.report('n1', frame([{ name: 'a', requests: 10 }, { name: 'b' }, { name: 'a', uid: 'other' }]));
    expect(store.pod('default', 'a')).toMatchObject({
      node: 'n1',
      requestsPerSecond: 2,
      errorsPerSecond: 1,
      meanLatencyMs: 4,
    });
    expect(store.pod('default', 'b')).toBeUndefined();
    expect(store.stats).toEqual({ frames: 1, refusedPods: 2 });
    expect(store.node('n1')).toMatchObject({ cpuNanoCores: 10, memoryBytes: 20 });
    // A node the hub does not know keeps no sample.
    store.report('n2', frame([{ name: 'b' }]));
    expect(store.node('n2')).toBeUndefined();
    expect(
      store
        .pods()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('forgets samples past three windows, and those of deleted or moved pods and deleted nodes', () => {
    const { store, pods, nodes, advance } = setup();
    store.report('n1', frame([{ name: 'a' }]));
    advance(15_000);
    expect(store.pod('default', 'a')).toBeDefined();
    advance(1);
    expect(store.pods()).toEqual([]);
    expect(store.nodes()).toEqual([]);
    expect(store.size).toEqual({ pods: 0, nodes: 0 });

    store.report('n1', frame([{ name: 'a' }]));
    const moved = pod('a', 'n3');
    for (const h of pods.handlers) h.onUpdate?.(pods.items[0]!, moved);
    expect(store.pod('default', 'a')).toBeUndefined();
    pods.items[0] = pod('a', 'n1');
    store.report('n1', frame([{ name: 'a' }]));
    for (const h of pods.handlers) h.onDelete?.(pods.items[0]);
    for (const h of nodes.handlers) h.onDelete?.(nodes.items[0]!);
    expect(store.size).toEqual({ pods: 0, nodes: 0 });
  });

  it('calls wake listeners until they unsubscribe, and survives one that throws', () => {
    const { store } = setup();
    const seen: string[] = [];
    store.onServiceWake(() => {
      throw new Error('boom');
    });
    const off = store.onServiceWake((ns, name) => seen.push(`${ns}/${name}`));
    store.wake('shop', 'cart');
    off();
    store.wake('shop', 'cart');
    expect(seen).toEqual(['shop/cart']);
  });
});

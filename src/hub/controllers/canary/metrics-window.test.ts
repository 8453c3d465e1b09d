/**
 * Request duration as Flagger reads it (P99 over the interval) from real reports: the mesh's request
 * counters on two nodes, each node's usage sampler and frames (encoded and decoded as on the wire),
 * the hub's usage intake, and the canary's window over it.
 */
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../../api/index.js';
import { NodeToHub, decodeFrame, encodeFrame } from '../../../api/index.js';
import { RequestAccounting, UsageSampler, usageFrames } from '../../../edge-node/testing/index.js';
import { silentLogger } from '../../../platform/index.js';
import { UsageStore } from '../../metrics/usage-store.js';
import { MetricsWindow } from './metrics-window.js';
import { latencyQuantileMs } from './quantile.js';

const pod = (name: string, node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'v2.wasm' }] },
});
const PODS = [pod('podinfo-a', 'n1'), pod('podinfo-b', 'n2')];

/** One real node: its mesh counters and usage sampler, for the pod it runs. */
function node(p: Pod) {
  const requests = new RequestAccounting();
  let clock = 0;
  const ref = { namespace: 'default', name: p.metadata.name!, uid: p.metadata.uid! };
  const sampler = new UsageSampler({
    pods: () => [{ ref, containers: () => [] }],
    requests: (ns, name) => requests.pod(ns, name),
    logger: silentLogger(),
    now: () => clock,
    // The hub tells reports apart by their timestamps: two samples within one real millisecond (a warm
    // run does both windows in less) must still be two reports.
    wallNow: () => 1_800_000_000_000 + clock,
    nodeCpuNanoSeconds: () => 0,
    nodeMemoryBytes: () => 0,
  });
  return {
    /** `n` requests of `ms` each delivered to the pod. */
    serve(n: number, ms: number, status = 200) {
      for (let i = 0; i < n; i++) requests.podRequest('default', ref.name, status, ms);
    },
    /** The window since the last sample, as the frames the hub decodes. */
    async frames(ms: number) {
      clock += ms;
      const w = await sampler.sample();
      return w ? usageFrames(w).map((f) => decodeFrame(NodeToHub, encodeFrame(f))) : [];
    },
  };
}

function hub() {
  let now = 1_000_000;
  const cache = <T extends Pod | Node>(items: T[]) => ({
    get: (_ns: string | undefined, name: string) => items.find((i) => i.metadata.name === name),
    addHandler: () => {},
  });
  const nodes: Node[] = ['n1', 'n2'].map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }));
  const store = new UsageStore({
    pods: cache(PODS),
    nodes: cache(nodes),
    clock: { now: () => now },
    logger: silentLogger(),
  });
  return { store, now: () => now, advance: (ms: number) => (now += ms) };
}

describe('request duration: P99 of the merged histograms', () => {
  it('interpolates inside a bucket as histogram_quantile does', () => {
    // 100 requests: 98 in (0, 5], 2 in (500, 1000]. Rank 99 is the first of the slow two: 750.
    const counts = [98, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0];
    expect(latencyQuantileMs(counts, 0.99)).toBe(750);
    expect(latencyQuantileMs(counts, 0.5)).toBeCloseTo((5 * 50) / 98, 9);
    // All in the open bucket: the highest finite bound, as Prometheus answers.
    expect(latencyQuantileMs([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], 0.99)).toBe(10_000);
    expect(latencyQuantileMs(new Array<number>(12).fill(0), 0.99)).toBeUndefined();
  });

  it('merges two nodes’ reports over the window: a slow tail fails P99 while the mean passes', async () => {
    const h = hub();
    const [n1, n2] = [node(PODS[0]!), node(PODS[1]!)];
    const window = new MetricsWindow();
    // Baselines (the first sample of a node reports nothing).
    for (const n of [n1, n2]) expect(await n.frames(0)).toEqual([]);
    // A window of 1 s on each node: 980 fast requests in all, 20 that took 800 ms, split across nodes.
    n1.serve(490, 3);
    n1.serve(15, 800);
    n2.serve(490, 4);
    n2.serve(5, 800);
    for (const [name, n] of [['n1', n1] as const, ['n2', n2] as const])
      for (const f of await n.frames(1000)) if (f.type === 'usage') h.store.report(name, f);
    expect(h.store.pod('default', 'podinfo-a')?.latencyBuckets).toEqual([490, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0]);
    window.sample(h.store, PODS, h.now());
    const f = window.figures(1000, h.now());
    expect(f.requests).toBe(1000);
    // Mean: (490·3 + 490·4 + 20·800) / 1000 ≈ 19.4 ms. P99: rank 990 is the 10th of the 20 slow ones.
    expect(f.meanLatencyMs).toBeCloseTo(19.43, 2);
    expect(f.p99LatencyMs).toBe(750);

    // The next window is fast everywhere. Each report is the difference of the node's cumulative
    // histograms, so summing them over a window counts each request once.
    h.advance(1000);
    n1.serve(300, 2);
    n2.serve(300, 2);
    for (const [name, n] of [['n1', n1] as const, ['n2', n2] as const])
      for (const f2 of await n.frames(1000)) if (f2.type === 'usage') h.store.report(name, f2);
    window.sample(h.store, PODS, h.now());
    // A window never spans less than two report periods (2 s here): both windows count, the tail with them.
    expect(window.figures(1000, h.now())).toMatchObject({ requests: 1600, p99LatencyMs: 600 });
    // Once the slow window is older than the check's window, only the fast one counts.
    h.advance(1500);
    expect(window.figures(1000, h.now()).requests).toBe(600);
    expect(window.figures(1000, h.now()).p99LatencyMs).toBeLessThanOrEqual(5);
  });

  it('falls back to the mean when a report carries no histogram (a node that predates them)', () => {
    const h = hub();
    const window = new MetricsWindow();
    h.store.report('n1', {
      type: 'usage',
      timestamp: '2026-12-03T18:00:00Z',
      windowSeconds: 1,
      node: { cpuNanoCores: 0, memoryBytes: 0 },
      pods: [
        {
          pod: { namespace: 'default', name: 'podinfo-a', uid: 'uid-podinfo-a' },
          containers: [],
          http: { requests: 10, errors4xx: 0, errors5xx: 0, latencyMsSum: 120 },
        },
      ],
    });
    window.sample(h.store, PODS, h.now());
    expect(window.figures(1000, h.now())).toMatchObject({ requests: 10, meanLatencyMs: 12, p99LatencyMs: undefined });
  });
});

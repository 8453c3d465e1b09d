/**
 * The sampler's windows from cumulative figures (a runtime whose `containerUsage` reports what the
 * test sets, and the mesh's real request counters), and the cutting of a window into frames.
 */
import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKETS_MS,
  MAX_USAGE_PODS_PER_FRAME,
  NodeToHub,
  NodeUsage,
  decodeFrame,
  encodeFrame,
} from '../../api/index.js';
import type { ContainerStats } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { RequestAccounting } from '../mesh/index.js';
import { usageFrames } from './usage-frames.js';
import { UsageSampler, type MeteredPod } from './usage-sampler.js';

function setup() {
  const stats = new Map<string, ContainerStats>();
  const runtime = { containerUsage: (id: string) => Promise.resolve(stats.get(id)) };
  let containerId = 'c1';
  const pod: MeteredPod = {
    ref: { namespace: 'shop', name: 'cart-1', uid: 'u1' },
    containers: () => [{ name: 'app', runtime, id: containerId }],
  };
  const requests = new RequestAccounting();
  let clock = 0;
  let nodeCpu = 0;
  const sampler = new UsageSampler({
    pods: () => [pod],
    requests: (ns, name) => requests.pod(ns, name),
    logger: silentLogger(),
    now: () => clock,
    nodeCpuNanoSeconds: () => nodeCpu,
    nodeMemoryBytes: () => 1 << 30,
  });
  return {
    sampler,
    requests,
    stats,
    advance(ms: number, nodeCpuNs: number) {
      clock += ms;
      nodeCpu += nodeCpuNs;
    },
    restart(id: string) {
      containerId = id;
    },
  };
}

describe('UsageSampler', () => {
  it('takes a baseline first, then rates over each window', async () => {
    const t = setup();
    t.stats.set('c1', { cpuUsageNanoSeconds: 1e9, memoryWorkingSetBytes: 4096 });
    expect(await t.sampler.sample()).toBeUndefined();
    t.advance(2000, 1e9);
    t.stats.set('c1', { cpuUsageNanoSeconds: 1.5e9, memoryWorkingSetBytes: 8192 });
    t.requests.podRequest('shop', 'cart-1', 200, 10);
    t.requests.podRequest('shop', 'cart-1', 503, 30);
    const w = (await t.sampler.sample())!;
    expect(w.windowSeconds).toBe(2);
    expect(w.node).toEqual({ cpuNanoCores: 5e8, memoryBytes: 1 << 30 });
    expect(w.pods).toEqual([
      {
        pod: { namespace: 'shop', name: 'cart-1', uid: 'u1' },
        containers: [{ name: 'app', cpuNanoCores: 2.5e8, memoryBytes: 8192 }],
        // 10 ms falls in the bucket up to 10 (index 1), 30 ms in the one up to 50 (index 3).
        http: {
          requests: 2,
          errors4xx: 0,
          errors5xx: 1,
          latencyMsSum: 40,
          latencyBuckets: [
            [1, 1],
            [3, 1],
          ],
        },
      },
    ]);
    // A quiet window: CPU 0, no http part.
    t.advance(1000, 0);
    const quiet = (await t.sampler.sample())!;
    expect(quiet.pods[0]).toEqual({
      pod: { namespace: 'shop', name: 'cart-1', uid: 'u1' },
      containers: [{ name: 'app', cpuNanoCores: 0, memoryBytes: 8192 }],
    });
  });

  it('counts all CPU of a container first seen in the window (a restart)', async () => {
    const t = setup();
    t.stats.set('c1', { cpuUsageNanoSeconds: 5e9, memoryWorkingSetBytes: 1 });
    await t.sampler.sample();
    t.restart('c2');
    t.stats.set('c2', { cpuUsageNanoSeconds: 1e8, memoryWorkingSetBytes: 1 });
    t.advance(1000, 0);
    const w = (await t.sampler.sample())!;
    expect(w.pods[0]!.containers[0]!.cpuNanoCores).toBe(1e8);
  });

  it('leaves out containers without usage and pods with nothing to say', async () => {
    const t = setup();
    await t.sampler.sample();
    t.advance(1000, 0);
    expect((await t.sampler.sample())!.pods).toEqual([]);
  });
});

describe('usageFrames', () => {
  const pod = (i: number) => ({ pod: { namespace: 'ns', name: `p${i}`, uid: `u${i}` }, containers: [] });
  const window = (n: number) => ({
    timestamp: new Date(0).toISOString(),
    windowSeconds: 5,
    node: { cpuNanoCores: 1, memoryBytes: 2 },
    pods: Array.from({ length: n }, (_, i) => pod(i)),
  });

  it('splits at MAX_USAGE_PODS_PER_FRAME, every frame valid on the wire', () => {
    const frames = usageFrames(window(MAX_USAGE_PODS_PER_FRAME * 2 + 1));
    expect(frames.map((f) => f.pods.length)).toEqual([MAX_USAGE_PODS_PER_FRAME, MAX_USAGE_PODS_PER_FRAME, 1]);
    for (const f of frames) expect(NodeUsage.parse(f)).toEqual(f);
    expect(new Set(frames.flatMap((f) => f.pods.map((p) => p.pod.uid))).size).toBe(MAX_USAGE_PODS_PER_FRAME * 2 + 1);
  });

  it('cuts pods with whole histograms into frames inside the node frames’ value bound', () => {
    const full = window(MAX_USAGE_PODS_PER_FRAME);
    const pods = full.pods.map((p) => ({
      ...p,
      containers: [{ name: 'app', cpuNanoCores: 1e9, memoryBytes: 1 << 30 }],
      http: {
        requests: 1e6,
        errors4xx: 1,
        errors5xx: 1,
        latencyMsSum: 1.5e6,
        latencyBuckets: Array.from({ length: LATENCY_BUCKETS_MS.length + 1 }, (_, i): [number, number] => [i, 1000]),
      },
    }));
    const frames = usageFrames({ ...full, pods });
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(decodeFrame(NodeToHub, encodeFrame(f))).toEqual(f);
    expect(frames.flatMap((f) => f.pods)).toEqual(pods);
  });

  it('sends one frame for a node without pods', () => {
    expect(usageFrames(window(0))).toEqual([{ type: 'usage', ...window(0) }]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HubToNode, MAX_HUB_FRAME_VALUES, decodeFrame } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import { DEFAULT_HUB_FRAME_LIMITS, podSyncFrames, podUpsertFrame } from './pod-frames.js';

function pod(i: number, pad = 0, labels = 0): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      labels: Object.fromEntries(Array.from({ length: labels }, (_, k) => [`l${k}`, 'v'])),
      ...(pad ? { annotations: { pad: 'é'.repeat(pad) } } : {}),
    },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'x.wasm', env: [{ name: 'A', value: 'b' }] }] },
  };
}

const decode = (f: Buffer): Extract<HubToNode, { type: 'podSync' }> =>
  decodeFrame(HubToNode, f, { maxValues: MAX_HUB_FRAME_VALUES }) as Extract<HubToNode, { type: 'podSync' }>;

describe('podSyncFrames', () => {
  it('sends a set that fits as one frame without `more`, decoding to exactly the pods (an empty set too)', () => {
    for (const pods of [[], [pod(1)], Array.from({ length: 50 }, (_, i) => pod(i, 10, 3))]) {
      const { frames, refused } = podSyncFrames(pods);
      expect(refused).toEqual([]);
      expect(frames).toHaveLength(1);
      expect(decode(frames[0]!)).toEqual({ type: 'podSync', pods });
    }
  });

  it('splits by bytes and by values, every part within the bounds, the parts together in order', () => {
    const pods = Array.from({ length: 40 }, (_, i) => pod(i, 500, 20));
    for (const limits of [
      { ...DEFAULT_HUB_FRAME_LIMITS, maxBytes: 8 * 1024 },
      { ...DEFAULT_HUB_FRAME_LIMITS, maxValues: 400 },
    ]) {
      const { frames, refused } = podSyncFrames(pods, limits);
      expect(refused).toEqual([]);
      expect(frames.length).toBeGreaterThan(2);
      const parts = frames.map(decode);
      for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(limits.maxBytes);
      for (const f of frames) expect(() => decodeFrame(HubToNode, f, { maxValues: limits.maxValues })).not.toThrow();
      expect(parts.map((p) => p.more)).toEqual([...parts.slice(1).map(() => true), undefined]);
      expect(parts.flatMap((p) => p.pods)).toEqual(pods);
    }
  });

  it('refuses a pod that cannot fit alone, and pods past the per-node maximum, naming why', () => {
    const limits = { ...DEFAULT_HUB_FRAME_LIMITS, maxBytes: 4096, maxPods: 3 };
    const pods = [pod(0), pod(1, 4000), pod(2), pod(3)];
    const { frames, refused } = podSyncFrames(pods, limits);
    expect(frames.map(decode).flatMap((p) => p.pods.map((x) => x.metadata.name))).toEqual(['p-0', 'p-2']);
    expect(refused.map((r) => [r.pod.metadata.name, r.reason])).toEqual([
      ['p-3', 'TooManyPodsForNode'],
      ['p-1', 'PodTooLargeForNode'],
    ]);
    expect(refused[1]!.message).toMatch(
      /encoded, it takes 8\.0 KiB, more than the 4\.0 KiB a node accepts in one frame/,
    );
    // All refused: the node still gets its (empty) set.
    const none = podSyncFrames([pod(1, 4000)], limits);
    expect(none.frames.map(decode)).toEqual([{ type: 'podSync', pods: [] }]);
  });

  it('podUpsertFrame refuses a pod over the value bound', () => {
    const r = podUpsertFrame(pod(1, 0, 200), { ...DEFAULT_HUB_FRAME_LIMITS, maxValues: 300 });
    expect('refused' in r && r.refused.message).toMatch(/more than the 300 values/);
    expect('frame' in podUpsertFrame(pod(1))).toBe(true);
  });
});

describe('podSyncFrames (property)', () => {
  it('for any pod set and limits: every frame within the bounds, the sent pods in order, each refusal a pod that cannot fit or one past the maximum', () => {
    const arbPod = fc
      .record({ i: fc.nat(10_000), pad: fc.nat(3000), labels: fc.nat(40) })
      .map(({ i, pad, labels }) => pod(i, pad, labels));
    const arbLimits = fc.record({
      maxBytes: fc.integer({ min: 200, max: 64 * 1024 }),
      maxValues: fc.integer({ min: 20, max: 2000 }),
      maxPods: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(arbPod, { maxLength: 40 }), arbLimits, (pods, limits) => {
        const { frames, refused } = podSyncFrames(pods, limits);
        expect(frames.length).toBeGreaterThan(0);
        const parts = frames.map((f) => {
          expect(f.byteLength).toBeLessThanOrEqual(limits.maxBytes);
          return decodeFrame(HubToNode, f, { maxValues: limits.maxValues }) as Extract<HubToNode, { type: 'podSync' }>;
        });
        expect(parts.map((p) => p.more)).toEqual([...parts.slice(1).map(() => true), undefined]);
        const sent = parts.flatMap((p) => p.pods);
        const refusedSet = new Set(refused.map((r) => r.pod));
        expect(sent).toEqual(pods.filter((p) => !refusedSet.has(p)));
        expect(refused.filter((r) => r.reason === 'TooManyPodsForNode').length).toBe(
          Math.max(0, pods.length - limits.maxPods),
        );
        for (const r of refused.filter((x) => x.reason === 'PodTooLargeForNode'))
          expect(podSyncFrames([r.pod], { ...limits, maxPods: 1 }).refused).toHaveLength(1);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

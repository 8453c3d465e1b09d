/**
 * The histogram gate against a hub that predates `latencyBuckets`: its schema (today's, less the
 * field, strict as every wire schema) refuses a frame with them, and the node hears the refusal as
 * the hub words it (`decodeFrame`'s message, sent back in an `error` frame).
 */
import { describe, expect, it } from 'vitest';
import { NodeUsage, PodRequestUsage, PodUsage, decodeFrame, encodeFrame } from '../../api/index.js';
import { HistogramGate, PROBE_WINDOWS } from './histogram-gate.js';

const OlderHubUsage = NodeUsage.extend({
  pods: PodUsage.extend({ http: PodRequestUsage.omit({ latencyBuckets: true }).optional() }).array(),
});

const frame = (pods: number): NodeUsage => ({
  type: 'usage',
  timestamp: '2026-12-03T18:00:00Z',
  windowSeconds: 1,
  node: { cpuNanoCores: 0, memoryBytes: 0 },
  pods: Array.from({ length: pods }, (_, i) => ({
    pod: { namespace: 'default', name: `p${i}`, uid: `u${i}` },
    containers: [],
    http: { requests: 3, errors4xx: 0, errors5xx: 0, latencyMsSum: 9, latencyBuckets: [[0, 3]] },
  })),
});
const histograms = (frames: NodeUsage[]): boolean[] => frames.map((f) => f.pods.some((p) => p.http?.latencyBuckets));

/** What the older hub answers a frame: undefined when it takes it, else its error message. */
function olderHub(f: NodeUsage): string | undefined {
  try {
    decodeFrame(OlderHubUsage, encodeFrame(f));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('HistogramGate', () => {
  it('probes with one frame a window, then sends histograms in every frame', () => {
    const gate = new HistogramGate();
    for (let i = 0; i < PROBE_WINDOWS; i++)
      expect(histograms(gate.frames([frame(1), frame(1)]))).toEqual([true, false]);
    expect(histograms(gate.frames([frame(1), frame(1)]))).toEqual([true, true]);
    expect(gate.refused('invalid frame of type "podStatus": pods.0.phase: Invalid option')).toBe(false);
    expect(gate.enabled).toBe(true);
  });

  it('stops after one refusal by a hub that predates them, and probes again on the next session', () => {
    const gate = new HistogramGate();
    const [probe, rest] = gate.frames([frame(2), frame(2)]);
    const refusal = olderHub(probe!);
    expect(refusal).toMatch(/latencyBuckets/);
    expect(olderHub(rest!)).toBeUndefined();
    expect(gate.refused(refusal!)).toBe(true);
    expect(gate.enabled).toBe(false);
    // Every later frame is one the older hub takes, with the request counts still in it.
    for (let i = 0; i < PROBE_WINDOWS + 2; i++)
      for (const f of gate.frames([frame(2), frame(2)])) {
        expect(olderHub(f)).toBeUndefined();
        expect(f.pods[0]!.http).toEqual({ requests: 3, errors4xx: 0, errors5xx: 0, latencyMsSum: 9 });
      }
    gate.reset();
    expect(histograms(gate.frames([frame(1)]))).toEqual([true]);
  });
});

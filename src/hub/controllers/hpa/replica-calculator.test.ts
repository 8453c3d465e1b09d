import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../api/index.js';
import {
  averageValueReplicas,
  groupPods,
  MetricError,
  utilizationReplicas,
  type PodSample,
} from './replica-calculator.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(
  name: string,
  opts: {
    phase?: 'Pending' | 'Running' | 'Failed';
    ready?: boolean;
    startedMsAgo?: number;
    readySinceMsAgo?: number;
  } = {},
): Pod {
  const started = NOW - (opts.startedMsAgo ?? 3_600_000);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: iso(started),
      conditions: [
        {
          type: 'Ready',
          status: (opts.ready ?? true) ? 'True' : 'False',
          lastTransitionTime: iso(NOW - (opts.readySinceMsAgo ?? opts.startedMsAgo ?? 3_600_000)),
        },
      ],
    },
  };
}

const samples = (values: Record<string, number>): Map<string, PodSample> =>
  new Map(Object.entries(values).map(([k, value]) => [k, { value, timestampMs: NOW, windowMs: 5000 }]));

describe('replica calculator (replica_calculator.go semantics)', () => {
  it('applies the ratio formula and the 0.1 tolerance', () => {
    const pods = [pod('a'), pod('b')];
    const base = { currentReplicas: 2, pods, nowMs: NOW, cpu: false };
    expect(averageValueReplicas({ ...base, samples: samples({ a: 30, b: 30 }) }, 10)).toMatchObject({
      replicas: 6,
      averageValue: 30,
    });
    // 10.5 / 10 is within the tolerance: no change.
    expect(averageValueReplicas({ ...base, samples: samples({ a: 10, b: 11 }) }, 10).replicas).toBe(2);
    expect(averageValueReplicas({ ...base, samples: samples({ a: 2, b: 2 }) }, 10).replicas).toBe(1);
  });

  it('counts a missing pod at the target when scaling down, which can cancel the scale down', () => {
    const pods = [pod('a'), pod('b')];
    // a alone says 0.5 → down; with b assumed at the target the ratio is 0.75 → ceil(1.5) = 2: no change.
    const p = averageValueReplicas(
      { currentReplicas: 2, pods, nowMs: NOW, cpu: false, samples: samples({ a: 5 }) },
      10,
    );
    expect(p.replicas).toBe(2);
  });

  it('counts a missing pod as idle when scaling up', () => {
    const pods = [pod('a'), pod('b')];
    // a alone says 4 → up; with b at 0 the ratio is 2 → ceil(2 * 2) = 4.
    const p = averageValueReplicas(
      { currentReplicas: 2, pods, nowMs: NOW, cpu: false, samples: samples({ a: 40 }) },
      10,
    );
    expect(p.replicas).toBe(4);
  });

  it('counts unready pods as idle when scaling up and ignores them otherwise', () => {
    const pods = [pod('a'), pod('b', { phase: 'Pending' })];
    const up = averageValueReplicas(
      { currentReplicas: 2, pods, nowMs: NOW, cpu: false, samples: samples({ a: 30 }) },
      10,
    );
    expect(up.replicas).toBe(3); // ratio 3 → with b at 0: 1.5 → ceil(1.5 * 2)
    const down = averageValueReplicas(
      { currentReplicas: 2, pods, nowMs: NOW, cpu: false, samples: samples({ a: 2 }) },
      10,
    );
    expect(down.replicas).toBe(1);
  });

  it('ignores deleting and failed pods', () => {
    const deleting = { ...pod('b'), metadata: { name: 'b', namespace: 'default', deletionTimestamp: iso(NOW) } };
    const g = groupPods([pod('a'), deleting, pod('c', { phase: 'Failed' })], samples({ a: 1, b: 1, c: 1 }), false, NOW);
    expect([...g.ignored].sort()).toEqual(['b', 'c']);
    expect(g.readyCount).toBe(1);
  });

  it('treats a CPU sample that covers time before the pod became Ready as unready during initialization', () => {
    const young = pod('a', { startedMsAgo: 60_000, readySinceMsAgo: 2_000 });
    const g = groupPods([young], samples({ a: 100 }), true, NOW);
    expect(g.unready.has('a')).toBe(true);
    expect(groupPods([young], samples({ a: 100 }), false, NOW).readyCount).toBe(1);
  });

  it('computes utilization against requests, truncated to a whole percentage', () => {
    const pods = [pod('a'), pod('b')];
    const requests = new Map([
      ['a', 100],
      ['b', 100],
    ]);
    const p = utilizationReplicas(
      { currentReplicas: 2, pods, nowMs: NOW, cpu: true, samples: samples({ a: 150, b: 151 }) },
      requests,
      50,
    );
    expect(p.utilization).toBe(150);
    expect(p.replicas).toBe(6);
  });

  it('fails clearly with no pods or no samples', () => {
    expect(() =>
      averageValueReplicas({ currentReplicas: 1, pods: [], nowMs: NOW, cpu: false, samples: new Map() }, 10),
    ).toThrow(/no pods returned by selector/);
    expect(() =>
      averageValueReplicas({ currentReplicas: 1, pods: [pod('a')], nowMs: NOW, cpu: false, samples: new Map() }, 10),
    ).toThrow(MetricError);
  });
});

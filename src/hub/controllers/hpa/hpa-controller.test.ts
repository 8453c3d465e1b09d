/**
 * The HPA controller scaling on metrics, over a real registry and SQLite store with an injected clock
 * (`testing/hpa-rig.ts`): up on request rate with its status, conditions and event; down on CPU only after
 * the stabilization window; a metric it cannot compute; several metrics, the largest proposal winning and
 * an invalid one blocking a scale down. Scale to zero: `hpa-scale-to-zero.test.ts`; the spec's validation
 * and defaults: `hpa-spec.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscaler, Pod } from '../../../api/index.js';
import { rfc3339 } from '../../../api/index.js';
import { HPA, POD, RPS, hpaRig } from './testing/hpa-rig.js';

describe('HpaController', () => {
  const rig = hpaRig();
  const { deployment, createPod, pod, sample, hpa, sync, replicas, status, events, now, tick } = rig;

  it('scales up on request rate, reports status, conditions and an event', async () => {
    await deployment(2);
    await pod('a', 30);
    await pod('b', 30);
    await hpa({ minReplicas: 1 });
    await sync();
    expect(await replicas()).toBe(6);
    const s = await status();
    expect(s).toMatchObject({ desiredReplicas: 6, currentReplicas: 0 });
    expect(s?.currentMetrics).toEqual([
      { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, current: { averageValue: '30' } } },
    ]);
    expect(s?.lastScaleTime).toBe(rfc3339(now()));
    const byType = Object.fromEntries((s?.conditions ?? []).map((c) => [c.type, c.reason]));
    expect(byType).toEqual({
      AbleToScale: 'SucceededRescale',
      ScalingActive: 'ValidMetricFound',
      ScalingLimited: 'DesiredWithinRange',
    });
    await expect
      .poll(events)
      .toContain('SuccessfulRescale: New size: 6; reason: pods metric http_requests_per_second above target');
  });

  it('scales down on CPU utilization only after the stabilization window', async () => {
    await deployment(4);
    for (const n of ['a', 'b', 'c', 'd']) await pod(n, 0, 10);
    await hpa({
      minReplicas: 1,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    });
    await sync();
    expect(await replicas()).toBe(4);
    expect((await status())?.currentMetrics?.[0]?.resource?.current).toEqual({
      averageValue: '10m',
      averageUtilization: 10,
    });
    tick(301_000);
    for (const n of ['a', 'b', 'c', 'd'])
      sample(n, (await rig.api.get<Pod>(POD, 'default', n)).metadata.uid ?? '', 0, 10);
    await sync();
    expect(await replicas()).toBe(1);
  });

  it('reports a metric it cannot compute (missing request) without scaling', async () => {
    await deployment(1);
    const p = await createPod('a', { name: 'c', image: 'x.wasm' });
    await rig.api.updateStatus(POD, { ...p, status: { phase: 'Running' } });
    sample('a', p.metadata.uid ?? '', 0, 500);
    await hpa({
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    });
    await sync();
    expect(await replicas()).toBe(1);
    const active = (await status())?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    expect(active?.message).toContain('missing request for cpu in container c of Pod a');
    await expect.poll(events).toContainEqual(expect.stringMatching(/^FailedGetResourceMetric: .*missing request/));
  });

  it('takes the largest proposal of several metrics; an invalid metric blocks a scale down', async () => {
    const cpu = {
      type: 'Resource' as const,
      resource: { name: 'cpu' as const, target: { type: 'Utilization' as const, averageUtilization: 50 } },
    };
    const mem = {
      type: 'Resource' as const,
      resource: { name: 'memory' as const, target: { type: 'Utilization' as const, averageUtilization: 50 } },
    };
    await deployment(2);
    await pod('a', 30, 10);
    await pod('b', 30, 10);
    await hpa({ minReplicas: 1, metrics: [cpu, RPS] });
    await sync();
    // CPU says 1 (10% of requests), request rate says 6: 6 wins.
    expect(await replicas()).toBe(6);
    expect((await status())?.currentMetrics).toHaveLength(2);
    // Memory has no request (invalid) and the request rate falls: no scale down on partial metrics.
    const h = await rig.api.get<HorizontalPodAutoscaler>(HPA, 'default', 'web');
    await rig.api.update(HPA, {
      ...h,
      spec: { ...h.spec, metrics: [mem, RPS], behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
    });
    for (const n of ['a', 'b']) sample(n, (await rig.api.get<Pod>(POD, 'default', n)).metadata.uid ?? '', 1, 10);
    await sync();
    expect(await replicas()).toBe(6);
    const active = (await status())?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    await expect
      .poll(events)
      .toContainEqual(expect.stringMatching(/^FailedComputeMetricsReplicas: invalid metrics \(1 invalid out of 2\)/));
  });
});

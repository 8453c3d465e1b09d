/**
 * The HPA controller over a real registry and SQLite store with an injected clock. The usage intake
 * is a plain in-memory `UsageSource` the test fills (the controller is under test, not the intake);
 * pods are written as the ReplicaSet controller and a node would (no nodes run here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment, Event, HorizontalPodAutoscaler, Pod, Service } from '../../../api/index.js';
import { rfc3339, typeByKind } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { InformerFactory } from '../../informers/index.js';
import type { PodUsageSample, UsageSource } from '../../metrics/index.js';
import { EventRecorder } from '../../reconcile/index.js';
import { ObjectRegistry } from '../../registry/index.js';
import { SqliteStore } from '../../store/index.js';
import { HpaController } from './index.js';

const POD = typeByKind('v1', 'Pod')!;
const SVC = typeByKind('v1', 'Service')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;
const EVENT = typeByKind('v1', 'Event')!;

/** An in-memory usage intake: samples set by the test, wake-ups fired by it. */
class TestUsage implements UsageSource {
  readonly samples = new Map<string, PodUsageSample>();
  private readonly listeners = new Set<(ns: string, svc: string) => void>();
  pod(ns: string, name: string): PodUsageSample | undefined {
    return this.samples.get(`${ns}/${name}`);
  }
  pods(): PodUsageSample[] {
    return [...this.samples.values()];
  }
  node(): undefined {
    return undefined;
  }
  nodes(): [] {
    return [];
  }
  onServiceWake(l: (ns: string, svc: string) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  wake(ns: string, svc: string): void {
    for (const l of this.listeners) l(ns, svc);
  }
}

const RPS = {
  type: 'Pods' as const,
  pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue' as const, averageValue: '10' } },
};

let now = Date.parse('2026-12-02T12:00:00Z');
const clock = { now: () => now };

describe('HpaController', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let usage: TestUsage;
  let ctrl: HpaController;
  let informers: InformerFactory;

  beforeEach(async () => {
    now = Date.parse('2026-12-02T12:00:00Z');
    dir = mkdtempSync(join(tmpdir(), 'edge-hpa-'));
    const logger = silentLogger();
    store = await SqliteStore.create({ path: join(dir, 'db'), logger });
    api = new ObjectRegistry({ store, clock, logger });
    await api.ensureNamespace('default');
    informers = new InformerFactory(api, logger);
    usage = new TestUsage();
    ctrl = new HpaController({
      api,
      hpas: informers.for<HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler'),
      pods: informers.for<Pod>('v1', 'Pod'),
      services: informers.for<Service>('v1', 'Service'),
      usage,
      events: new EventRecorder({ api, clock, logger, component: 'horizontal-pod-autoscaler' }),
      clock,
      logger,
      // Syncs are driven by the test (resync), not by the timer.
      syncPeriodSeconds: 3600,
    });
    await informers.start();
    ctrl.start();
  });

  afterEach(async () => {
    await ctrl.stop();
    informers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deployment(replicas: number): Promise<void> {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'x.wasm', resources: { requests: { cpu: '100m' } } }] },
        },
      },
    };
    await api.create(DEPLOY, d);
  }

  /** A Running, Ready pod of `web` with a sample of `rps` requests/s and `cpuMilli` millicores. */
  async function pod(name: string, rps: number, cpuMilli = 0): Promise<void> {
    const p = await api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x.wasm', resources: { requests: { cpu: '100m' } } }] },
    });
    const started = rfc3339(now - 3_600_000);
    await api.updateStatus(POD, {
      ...p,
      status: {
        phase: 'Running',
        startTime: started,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }],
      },
    });
    sample(name, p.metadata.uid ?? '', rps, cpuMilli);
  }

  function sample(name: string, uid: string, rps: number, cpuMilli = 0): void {
    usage.samples.set(`default/${name}`, {
      namespace: 'default',
      name,
      uid,
      node: 'pi-1',
      timestamp: rfc3339(now),
      windowSeconds: 5,
      containers: [{ name: 'c', cpuNanoCores: cpuMilli * 1e6, memoryBytes: 1 << 20 }],
      requestsPerSecond: rps,
      errorsPerSecond: 0,
    });
  }

  async function hpa(
    spec: Partial<HorizontalPodAutoscaler['spec']>,
    annotations?: Record<string, string>,
  ): Promise<void> {
    await api.create(HPA, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        maxReplicas: 10,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'http_requests_per_second' },
              target: { type: 'AverageValue', averageValue: '10' },
            },
          },
        ],
        ...spec,
      },
    });
  }

  async function sync(): Promise<void> {
    ctrl.resync('default', 'web');
    // The informer delivers the write before the queue is idle only eventually: settle both.
    await new Promise((r) => setImmediate(r));
    await ctrl.idle();
  }

  const replicas = async (): Promise<number> =>
    (await api.get<Deployment>(DEPLOY, 'default', 'web')).spec.replicas ?? 0;
  const status = async () => (await api.get<HorizontalPodAutoscaler>(HPA, 'default', 'web')).status;
  const events = async (): Promise<string[]> =>
    (await api.list<Event>(EVENT, { namespace: 'default' })).items.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);

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
    expect(s?.lastScaleTime).toBe(rfc3339(now));
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
    now += 301_000;
    for (const n of ['a', 'b', 'c', 'd']) sample(n, (await api.get<Pod>(POD, 'default', n)).metadata.uid ?? '', 0, 10);
    await sync();
    expect(await replicas()).toBe(1);
  });

  it('reports a metric it cannot compute (missing request) without scaling', async () => {
    await deployment(1);
    const p = await api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
    });
    await api.updateStatus(POD, { ...p, status: { phase: 'Running' } });
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

  it('scales an idle target to zero after the idle window and wakes it at once on a Service wake', async () => {
    await deployment(1);
    await pod('a', 0);
    await api.create(SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await hpa({ minReplicas: 0 }, { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '60' });
    await sync();
    expect(await replicas()).toBe(1);
    now += 30_000;
    await sync();
    expect(await replicas()).toBe(1);
    now += 31_000;
    await sync();
    expect(await replicas()).toBe(0);
    await sync();
    const active = (await status())?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'ScaledToZero' });
    // The wake scales at once: no sync is driven here.
    usage.wake('default', 'web');
    await expect.poll(replicas).toBe(1);
    await expect
      .poll(events)
      .toContain('SuccessfulRescale: New size: 1; reason: a request for Service web is waiting (scale from zero)');
  });

  it('does not take a woken target back to zero while its pod is still starting (the intermittent 503 at zero)', async () => {
    await deployment(0);
    await api.create(SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await hpa({ minReplicas: 0 }, { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '1' });
    await sync();
    usage.wake('default', 'web');
    await expect.poll(replicas).toBe(1);
    // Past the idle window with no pod yet (the ReplicaSet has not made it): starting, not idle.
    now += 1_500;
    await sync();
    expect(await replicas()).toBe(1);
    // A pod created and scheduled but not Running yet (a slow start on a loaded node): still starting.
    await api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x.wasm', resources: { requests: { cpu: '100m' } } }] },
    });
    now += 1_500;
    await sync();
    expect(await replicas()).toBe(1);
    // Once it runs and reports no requests for the whole window, it may go to zero again.
    const p = await api.get<Pod>(POD, 'default', 'a');
    await api.updateStatus(POD, { ...p, status: { phase: 'Running', startTime: rfc3339(now) } });
    sample('a', p.metadata.uid ?? '', 0);
    await sync();
    expect(await replicas()).toBe(1);
    now += 1_500;
    sample('a', p.metadata.uid ?? '', 0);
    await sync();
    expect(await replicas()).toBe(0);
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
    const h = await api.get<HorizontalPodAutoscaler>(HPA, 'default', 'web');
    await api.update(HPA, {
      ...h,
      spec: { ...h.spec, metrics: [mem, RPS], behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
    });
    for (const n of ['a', 'b']) sample(n, (await api.get<Pod>(POD, 'default', n)).metadata.uid ?? '', 1, 10);
    await sync();
    expect(await replicas()).toBe(6);
    const active = (await status())?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    await expect
      .poll(events)
      .toContainEqual(expect.stringMatching(/^FailedComputeMetricsReplicas: invalid metrics \(1 invalid out of 2\)/));
  });

  it('refuses invalid specs with the field named', async () => {
    await expect(
      hpa({
        minReplicas: 0,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
      }),
    ).rejects.toThrow(/spec\.minReplicas/);
    await expect(hpa({ minReplicas: 5, maxReplicas: 2 })).rejects.toThrow(/spec\.maxReplicas.*minReplicas/);
    await expect(
      api.create(HPA, {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'x', namespace: 'default' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, metrics: [{ type: 'External' }] },
      }),
    ).rejects.toThrow(/spec\.metrics\[0\]\.type/);
  });

  it('defaults minReplicas, a CPU 80% metric and the behavior fields', async () => {
    await api.create(HPA, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'd', namespace: 'default' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 3,
        behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
      },
    });
    const h = await api.get<HorizontalPodAutoscaler>(HPA, 'default', 'd');
    expect(h.spec.minReplicas).toBe(1);
    expect(h.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(h.spec.behavior?.scaleDown).toEqual({
      stabilizationWindowSeconds: 10,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    expect(h.spec.behavior?.scaleUp?.policies).toHaveLength(2);
  });
});

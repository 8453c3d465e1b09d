/**
 * The canary analysis over a real registry and SQLite store with an injected clock: initialization,
 * a healthy canary promoted step by step, a failing one rolled back at its threshold, blue-green.
 * No Deployment controller or node runs here: the test writes the Deployments' status and the pods as
 * they would, and the usage intake is an in-memory `UsageSource` it fills (the controller is under
 * test, not the intake).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Canary,
  Deployment,
  Endpoints,
  Event,
  HTTPRoute,
  HorizontalPodAutoscaler,
  Pod,
  Service,
} from '../../../api/index.js';
import {
  CANARY_ABORT_ANNOTATION,
  CANARY_PROMOTE_ANNOTATION,
  LATENCY_BUCKETS_MS,
  rfc3339,
  typeByKind,
} from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { InformerFactory } from '../../informers/index.js';
import type { PodUsageSample, UsageSource } from '../../metrics/index.js';
import { EventRecorder } from '../../reconcile/index.js';
import { ObjectRegistry } from '../../registry/index.js';
import { SqliteStore } from '../../store/index.js';
import { CanaryController } from './index.js';

const POD = typeByKind('v1', 'Pod')!;
const SVC = typeByKind('v1', 'Service')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const ROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;
const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
const EVENT = typeByKind('v1', 'Event')!;
const ENDPOINTS = typeByKind('v1', 'Endpoints')!;
const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;

class TestUsage implements UsageSource {
  readonly samples = new Map<string, PodUsageSample>();
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
  onServiceWake(): () => void {
    return () => {};
  }
}

let now = Date.parse('2026-12-03T12:00:00Z');
const clock = { now: () => now };
const INTERVAL = 30_000;

describe('CanaryController', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let usage: TestUsage;
  let ctrl: CanaryController;
  let informers: InformerFactory;

  beforeEach(async () => {
    now = Date.parse('2026-12-03T12:00:00Z');
    dir = mkdtempSync(join(tmpdir(), 'edge-canary-'));
    const logger = silentLogger();
    store = await SqliteStore.create({ path: join(dir, 'db'), logger });
    api = new ObjectRegistry({ store, clock, logger });
    await api.ensureNamespace('default');
    informers = new InformerFactory(api, logger);
    usage = new TestUsage();
    ctrl = new CanaryController({
      api,
      canaries: informers.for<Canary>('flagger.app/v1beta1', 'Canary'),
      deployments: informers.for<Deployment>('apps/v1', 'Deployment'),
      services: informers.for<Service>('v1', 'Service'),
      endpoints: informers.for<Endpoints>('v1', 'Endpoints'),
      httpRoutes: informers.for<HTTPRoute>('gateway.networking.k8s.io/v1', 'HTTPRoute'),
      pods: informers.for<Pod>('v1', 'Pod'),
      usage,
      events: new EventRecorder({ api, clock, logger, component: 'flagger' }),
      clock,
      logger,
      // The test moves the clock and resyncs; no timer of the controller's fires meanwhile.
      samplePeriodMs: 3_600_000,
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

  const get = <T>(type: typeof DEPLOY, name: string): Promise<T> => api.get(type, 'default', name) as Promise<T>;
  const status = async (): Promise<Canary['status']> => (await get<Canary>(CANARY, 'podinfo')).status;
  const eventList = async (): Promise<string[]> =>
    (await api.list<Event>(EVENT, { namespace: 'default' })).items
      .sort((a, b) =>
        (a.metadata.resourceVersion ?? '').localeCompare(b.metadata.resourceVersion ?? '', 'en', { numeric: true }),
      )
      .map((e) => `${e.type ?? ''} ${e.message ?? ''}`);
  /** The events once `expected` are all recorded (the recorder writes them after the status). */
  async function events(...expected: string[]): Promise<string[]> {
    for (let i = 0; i < 100; i++) {
      const list = await eventList();
      if (expected.every((e) => list.includes(e))) return list;
      await new Promise((r) => setTimeout(r, 10));
    }
    return eventList();
  }
  const weights = async (): Promise<number[]> =>
    (await get<HTTPRoute>(ROUTE, 'podinfo')).spec.rules![0]!.backendRefs!.map((b) => b.weight ?? 1);

  /** Resyncs until `ok` holds (the informers deliver the controller's and the test's writes in their time). */
  async function converge(what: string, ok: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      ctrl.resync('default', 'podinfo');
      await new Promise((r) => setTimeout(r, 5));
      await ctrl.idle();
      if (await ok()) return;
    }
    throw new Error(`never reached: ${what} (status ${JSON.stringify(await status())})`);
  }
  const phase = (p: string, weight?: number) => async (): Promise<boolean> => {
    const s = await status();
    return s?.phase === p && (weight === undefined || s.canaryWeight === weight);
  };

  async function target(image: string, replicas = 2): Promise<void> {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'podinfo' } },
        template: { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [{ name: 'app', image }] } },
      },
    };
    const have = await api.get<Deployment>(DEPLOY, 'default', 'podinfo').catch(() => undefined);
    if (have) await api.update(DEPLOY, { ...have, spec: { ...have.spec, template: d.spec.template } });
    else await api.create(DEPLOY, d);
  }

  /** Writes `name`'s status as the Deployment controller would once every replica rolled out. */
  async function rolledOut(name: string): Promise<void> {
    const d = await api.get<Deployment>(DEPLOY, 'default', name);
    const n = d.spec.replicas ?? 1;
    await api.updateStatus(DEPLOY, {
      ...d,
      status: {
        observedGeneration: d.metadata.generation,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
      },
    });
  }

  /** Ready canary pods (the target's labels). */
  async function canaryPods(n: number): Promise<string[]> {
    const uids: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = await api.create<Pod>(POD, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `podinfo-${i}`, namespace: 'default', labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: 'x.wasm' }] },
      });
      await api.updateStatus(POD, {
        ...p,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x.wasm', state: { running: {} } }],
        },
      });
      uids.push(p.metadata.uid ?? '');
    }
    // Their Service's endpoints, as the endpoints controller writes them.
    await api.create(ENDPOINTS, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'podinfo-canary', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '127.0.0.1', nodeName: 'pi-1' }], ports: [{ port: 8080 }] }],
    });
    return uids;
  }

  /**
   * One usage report per canary pod, ending now: `rps` requests/s, `errorRate` of them 5xx, each taking
   * `latencyMs` (so all in one bucket of the histogram).
   */
  function report(uids: string[], rps: number, errorRate = 0, latencyMs = 20): void {
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    const bucket = LATENCY_BUCKETS_MS.findIndex((le) => latencyMs <= le);
    buckets[bucket < 0 ? LATENCY_BUCKETS_MS.length : bucket] = rps * 5;
    uids.forEach((uid, i) =>
      usage.samples.set(`default/podinfo-${i}`, {
        namespace: 'default',
        name: `podinfo-${i}`,
        uid,
        node: 'pi-1',
        timestamp: rfc3339(now),
        windowSeconds: 5,
        containers: [],
        requestsPerSecond: rps,
        errorsPerSecond: rps * errorRate,
        meanLatencyMs: latencyMs,
        latencyBuckets: buckets,
      }),
    );
  }

  async function canary(analysis: Canary['spec']['analysis']): Promise<void> {
    await api.create(CANARY, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        provider: 'gatewayapi:v1',
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 80, targetPort: 8080 },
        analysis,
      },
    });
  }

  const METRICS = [
    { name: 'request-success-rate' as const, thresholdRange: { min: 99 } },
    { name: 'request-duration' as const, thresholdRange: { max: 500 } },
  ];

  /** Target, canary, primary rolled out: Initialized. */
  async function initialized(analysis: Canary['spec']['analysis']): Promise<void> {
    await target('v1.wasm');
    await canary(analysis);
    await converge('Initializing', phase('Initializing'));
    await rolledOut('podinfo-primary');
    await converge('Initialized', phase('Initialized'));
  }

  /** A new template, its rollout, and the pods it runs: the analysis has started. */
  async function newRevision(): Promise<string[]> {
    await target('v2.wasm');
    await converge('Progressing', phase('Progressing'));
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(2);
    await rolledOut('podinfo');
    return canaryPods(2);
  }

  it('initializes: primary from the target, three Services, a route all to the primary, the target at zero', async () => {
    await initialized({ interval: '30s', threshold: 2, stepWeight: 10, maxWeight: 30, metrics: METRICS });
    const primary = await get<Deployment>(DEPLOY, 'podinfo-primary');
    expect(primary.spec.selector.matchLabels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.metadata?.labels).toEqual({ app: 'podinfo-primary' });
    expect(primary.spec.template.spec.containers[0]!.image).toBe('v1.wasm');
    expect(primary.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    const selectors = await Promise.all(
      ['podinfo', 'podinfo-primary', 'podinfo-canary'].map(async (n) => (await get<Service>(SVC, n)).spec.selector),
    );
    expect(selectors).toEqual([{ app: 'podinfo-primary' }, { app: 'podinfo-primary' }, { app: 'podinfo' }]);
    const route = await get<HTTPRoute>(ROUTE, 'podinfo');
    expect(route.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'podinfo', port: 80 }]);
    expect(await weights()).toEqual([100, 0]);
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(0);
    const s = await status();
    expect(s).toMatchObject({ phase: 'Initialized', canaryWeight: 0, failedChecks: 0 });
    expect(s?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'True', reason: 'Initialized' });
    expect(await events('Normal Initialization done! podinfo.default')).toContain(
      'Normal Initialization done! podinfo.default',
    );
  });

  it('promotes a healthy canary through every step, then routes all traffic back to the primary', async () => {
    await initialized({ interval: '30s', threshold: 2, stepWeight: 10, maxWeight: 30, metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 10));
    expect(await weights()).toEqual([90, 10]);
    for (const w of [20, 30]) {
      now += INTERVAL;
      report(uids, 20);
      await converge(`weight ${w}`, phase('Progressing', w));
      expect(await weights()).toEqual([100 - w, w]);
    }
    now += INTERVAL;
    report(uids, 20);
    await converge('Promoting', phase('Promoting'));
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v2.wasm');
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    expect(await weights()).toEqual([100, 0]);
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(2); // scaled down an interval later
    now += INTERVAL;
    await converge('Succeeded', phase('Succeeded'));
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(0);
    const s = await status();
    expect(s).toMatchObject({ canaryWeight: 0, failedChecks: 0, lastPromotedSpec: s?.lastAppliedSpec });
    expect(s?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'True', reason: 'Succeeded' });
    expect(s?.lastTransitionTime).toBe(rfc3339(now));
    const want = [
      'Normal New revision detected! Scaling up podinfo.default',
      'Normal Starting canary analysis for podinfo.default',
      'Normal Advance podinfo.default canary weight 10',
      'Normal Advance podinfo.default canary weight 30',
      'Normal Copying podinfo.default template spec to podinfo-primary.default',
      'Normal Routing all traffic to primary',
      'Normal Promotion completed! Scaling down podinfo.default',
    ];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
  });

  it('counts failed checks and rolls back at the threshold: weight 0, target at zero, Failed, a warning', async () => {
    await initialized({ interval: '30s', threshold: 2, stepWeight: 10, maxWeight: 50, metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 10));
    now += INTERVAL;
    report(uids, 20, 0.3); // 30 % answered 500
    await converge('one failed check', async () => (await status())?.failedChecks === 1);
    expect((await status())?.canaryWeight).toBe(10); // a failed check holds the weight
    now += INTERVAL;
    report(uids, 20, 0.3);
    await converge('Failed', phase('Failed', 0));
    expect(await weights()).toEqual([100, 0]);
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(0);
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v1.wasm');
    const s = await status();
    expect(s).toMatchObject({ failedChecks: 2 });
    expect(s?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'False', reason: 'Failed' });
    const want = [
      'Warning Halt podinfo.default advancement success rate 70% < 99%',
      'Warning Rolling back podinfo.default failed checks threshold reached 2',
      'Warning Canary failed! Scaling down podinfo.default',
    ];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
  });

  it('holds until the first report, then fails a check with no traffic and one where the canary is slow', async () => {
    const HELD = 'Warning Halt advancement no traffic reported for podinfo.default yet';
    await initialized({ interval: '30s', threshold: 3, stepWeights: [50, 100], metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 50));
    now += INTERVAL; // no report yet: the canary holds, no check counts
    await converge('held', async () => (await events(HELD)).includes(HELD));
    expect((await status())?.failedChecks).toBe(0);
    report(uids, 20);
    await converge('first report', phase('Progressing', 100));
    now += INTERVAL; // no further report
    await converge('no values', async () => (await status())?.failedChecks === 1);
    now += INTERVAL;
    report(uids, 20, 0, 900);
    await converge('slow', async () => (await status())?.failedChecks === 2);
    const want = [
      'Warning Halt advancement no values found for metric request-success-rate probably podinfo.default is not receiving traffic',
      // Flagger's P99, interpolated in the bucket (500, 1000] as histogram_quantile does.
      'Warning Halt podinfo.default advancement request duration P99 995ms > 500ms',
    ];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
  });

  it('autoscalerRef: mirrors the target’s HPA onto the primary, which follows its spec at promotion', async () => {
    const hpa = (minReplicas: number, maxReplicas: number) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        minReplicas,
        maxReplicas,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        ],
      },
    });
    await target('v1.wasm');
    await api.create(CANARY, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        autoscalerRef: {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          name: 'podinfo',
          primaryScalerReplicas: { maxReplicas: 8 },
        },
        service: { port: 80, targetPort: 8080 },
        analysis: { interval: '30s', threshold: 2, stepWeight: 50, maxWeight: 50, metrics: METRICS },
      },
    });
    // No HPA of that name yet: initialization waits, and says why.
    const MISSING = 'Warning HorizontalPodAutoscaler podinfo.default of autoscalerRef not found';
    await converge('held for the HPA', async () => (await events(MISSING)).includes(MISSING));
    expect((await status())?.phase).toBe('Initializing');
    await api.create(HPA, hpa(2, 6));
    await converge('Initializing', async () => (await api.list(HPA, { namespace: 'default' })).items.length === 2);
    await rolledOut('podinfo-primary');
    await converge('Initialized', phase('Initialized'));
    const primaryHpa = async () => (await get<HorizontalPodAutoscaler>(HPA, 'podinfo-primary')).spec;
    const mirrored = await get<HorizontalPodAutoscaler>(HPA, 'podinfo-primary');
    expect(mirrored.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: 'podinfo' });
    expect(mirrored.spec).toEqual({
      ...hpa(2, 8).spec,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
    });
    // The target's HPA is the user's, untouched: it scales the canary.
    expect((await get<HorizontalPodAutoscaler>(HPA, 'podinfo')).spec.scaleTargetRef.name).toBe('podinfo');

    // The user changes the HPA: the primary's follows at the next promotion, not before.
    const have = await get<HorizontalPodAutoscaler>(HPA, 'podinfo');
    await api.update(HPA, { ...have, spec: { ...have.spec, minReplicas: 3, maxReplicas: 10 } });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 50));
    expect((await primaryHpa()).minReplicas).toBe(2);
    // Meanwhile the primary's HPA scaled the primary to 4: promotion leaves its replicas to the HPA.
    const primary = await get<Deployment>(DEPLOY, 'podinfo-primary');
    await api.update(DEPLOY, { ...primary, spec: { ...primary.spec, replicas: 4 } });
    now += INTERVAL;
    report(uids, 20);
    await converge('Promoting', phase('Promoting'));
    const promoted = await get<Deployment>(DEPLOY, 'podinfo-primary');
    expect(promoted.spec.template.spec.containers[0]!.image).toBe('v2.wasm');
    expect(promoted.spec.replicas).toBe(4);
    expect(await primaryHpa()).toMatchObject({ minReplicas: 3, maxReplicas: 8 });
  });

  it('beyond Flagger: a canary pod that restarts, or one not ready, fails a check', async () => {
    await initialized({ interval: '30s', threshold: 3, stepWeight: 10, maxWeight: 50, metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 10));
    const pods = informers.for<Pod>('v1', 'Pod');
    /** Writes a canary pod's status as its node would report it, and waits until the controller's cache has it. */
    async function podStatus(name: string, ready: boolean, restartCount: number): Promise<void> {
      const p = await api.get<Pod>(POD, 'default', name);
      await api.updateStatus(POD, {
        ...p,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
          containerStatuses: [{ name: 'app', ready, restartCount, image: 'x.wasm', state: { running: {} } }],
        },
      });
      for (let i = 0; i < 200; i++) {
        const c = pods.get('default', name)?.status?.containerStatuses?.[0];
        if (c?.ready === ready && c.restartCount === restartCount) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`the pod cache never saw ${name}'s status`);
    }
    // Healthy request metrics throughout: only the pods' own state fails the checks.
    await podStatus('podinfo-0', true, 1);
    now += INTERVAL;
    report(uids, 20);
    await converge('a restart fails a check', async () => (await status())?.failedChecks === 1);
    await podStatus('podinfo-1', false, 0);
    now += INTERVAL;
    report(uids, 20);
    await converge('a pod not ready fails a check', async () => (await status())?.failedChecks === 2);
    expect((await status())?.canaryWeight).toBe(10);
    const want = [
      'Warning Halt advancement podinfo.default restarted 1 time(s)',
      'Warning Halt advancement podinfo-1 not ready',
    ];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
    // Ready again, no new restart: the next check passes and the canary advances.
    await podStatus('podinfo-1', true, 0);
    now += INTERVAL;
    report(uids, 20);
    await converge('advanced', phase('Progressing', 20));
  });

  it('blue-green: iterations with no user traffic, then all traffic at once, then the promotion', async () => {
    await initialized({ interval: '30s', threshold: 1, iterations: 2, metrics: METRICS });
    await newRevision();
    await converge('iteration 1', async () => (await status())?.iterations === 1);
    expect(await weights()).toEqual([100, 0]);
    now += INTERVAL; // no traffic: judged by readiness and restarts
    await converge('iteration 2', async () => (await status())?.iterations === 2);
    now += INTERVAL;
    await converge('switch', phase('Progressing', 100));
    expect(await weights()).toEqual([0, 100]);
    now += INTERVAL;
    await converge('Promoting', phase('Promoting'));
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    expect(await weights()).toEqual([100, 0]);
    expect(await events('Normal Routing all traffic to canary')).toContain('Normal Routing all traffic to canary');
  });

  /** Sets the manual-control annotation `key` to the revision under analysis, as `edgectl canary` does. */
  async function ask(key: string, revision?: string): Promise<void> {
    const cd = await get<Canary>(CANARY, 'podinfo');
    const rev = revision ?? cd.status?.lastAppliedSpec ?? '';
    const annotations = { ...(cd.metadata.annotations ?? {}), [key]: rev };
    await api.update(CANARY, { ...cd, metadata: { ...cd.metadata, annotations } });
  }

  /** Waits (no resync, up to 10 s) for the controller to reach `p` on its own. */
  async function woken(p: string): Promise<void> {
    for (let i = 0; i < 1000 && (await status())?.phase !== p; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await status())?.phase).toBe(p);
  }

  it('manual promote skips the remaining steps; a request naming an older revision is ignored', async () => {
    await initialized({ interval: '30s', threshold: 2, stepWeight: 10, maxWeight: 50, metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 10));
    await ask(CANARY_PROMOTE_ANNOTATION, 'an-older-revision');
    report(uids, 20);
    await new Promise((r) => setTimeout(r, 50));
    await ctrl.idle();
    expect(await status()).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    await ask(CANARY_PROMOTE_ANNOTATION);
    // No clock move: the annotation alone wakes the controller (no resync here).
    await woken('Promoting');
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v2.wasm');
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    now += INTERVAL;
    await converge('Succeeded', phase('Succeeded'));
    const want = ['Normal Manual promotion requested for podinfo.default'];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
  });

  it('manual abort rolls back at once; the next revision is analysed as usual', async () => {
    await initialized({ interval: '30s', threshold: 5, stepWeight: 10, maxWeight: 50, metrics: METRICS });
    await newRevision();
    await converge('first step', phase('Progressing', 10));
    await ask(CANARY_ABORT_ANNOTATION);
    await woken('Failed');
    expect(await status()).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(await weights()).toEqual([100, 0]);
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(0);
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v1.wasm');
    const want = ['Warning Rolling back podinfo.default manual abort requested'];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
    // A fixed version: the abort named the old revision, so this one progresses.
    await target('v3.wasm');
    await converge('Progressing again', phase('Progressing'));
    await rolledOut('podinfo');
    await converge('first step of v3', phase('Progressing', 10));
  });

  it('refuses what is outside the subset, naming the field', async () => {
    const spec = {
      targetRef: { kind: 'Deployment', name: 'podinfo' },
      service: { port: 80 },
      analysis: { interval: '1m', stepWeight: 10 },
    };
    const refused = async (patch: object): Promise<string> => {
      const err = await api
        .create(CANARY, {
          apiVersion: 'flagger.app/v1beta1',
          kind: 'Canary',
          metadata: { name: 'x', namespace: 'default' },
          spec: { ...spec, ...patch },
        })
        .then(
          () => undefined,
          (e: unknown) => String(e),
        );
      return err ?? 'accepted';
    };
    expect(await refused({ analysis: { ...spec.analysis, webhooks: [] } })).toMatch(/webhooks/);
    expect(await refused({ analysis: { interval: '1m', stepWeight: 10, iterations: 3 } })).toMatch(
      /iterations \(blue-green\) takes no stepWeight/,
    );
    expect(
      await refused({ analysis: { ...spec.analysis, metrics: [{ name: 'error-rate', query: 'sum(x)' }] } }),
    ).toMatch(/request-success-rate and request-duration/);
    expect(await refused({ provider: 'istio' })).toMatch(/gatewayapi/);
    expect(await refused({ analysis: { interval: '1m' } })).toMatch(/needs stepWeight or stepWeights/);
    expect(await refused({})).toBe('accepted');
  });
});

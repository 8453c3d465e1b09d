/**
 * The HPA controller's test rig (`hpa-*.test.ts`): the controller over a real registry and SQLite store
 * with an injected clock (controllers/testing/controller-rig.ts). The usage intake is an in-memory
 * `MemoryUsage` the tests fill (the controller is under test, not the intake); pods are written as the
 * ReplicaSet controller and a node would (no nodes run here). The scenario is the Deployment `default/web`
 * and its HorizontalPodAutoscaler `web`.
 */
import type { Container, Deployment, Event, HorizontalPodAutoscaler, Pod, Service } from '../../../../api/index.js';
import { rfc3339, typeByKind } from '../../../../api/index.js';
import { EventRecorder } from '../../../reconcile/index.js';
import type { ObjectRegistry } from '../../../registry/index.js';
import { appDeployment } from '../../testing/app-deployment.js';
import { controllerRig } from '../../testing/controller-rig.js';
import { MemoryUsage } from '../../testing/memory-usage.js';
import { HpaController } from '../index.js';

export const POD = typeByKind('v1', 'Pod')!;
export const SVC = typeByKind('v1', 'Service')!;
export const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
export const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;
export const EVENT = typeByKind('v1', 'Event')!;

/** A request-rate metric: 10 requests/s a pod. */
export const RPS = {
  type: 'Pods' as const,
  pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue' as const, averageValue: '10' } },
};

/** The container of `web`'s pods: 100m of CPU requested. */
const container = (): Container => ({ name: 'c', image: 'x.wasm', resources: { requests: { cpu: '100m' } } });

/**
 * Registers the rig's set-up and tear-down (inside a `describe`): a started HpaController whose syncs the
 * tests drive (`sync`); returns the helpers the tests use.
 */
export function hpaRig() {
  let usage: MemoryUsage;
  const rig = controllerRig({
    prefix: 'edge-hpa-',
    start: '2026-12-02T12:00:00Z',
    build: ({ api, informers, clock, logger }) => {
      usage = new MemoryUsage();
      return new HpaController({
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
    },
  });

  /** Creates the Deployment `web` of `replicas`. */
  async function deployment(replicas: number): Promise<void> {
    await rig.api.create(DEPLOY, appDeployment('web', replicas, container()));
  }

  /** Creates the Service `web` of the Deployment's pods. */
  async function service(): Promise<void> {
    await rig.api.create(SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
  }

  /** Creates a pod of `web` running `c` (default: `web`'s container), as the ReplicaSet controller would. */
  function createPod(name: string, c: Container = container()): Promise<Pod> {
    return rig.api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [c] },
    });
  }

  /** A Running, Ready pod of `web` with a sample of `rps` requests/s and `cpuMilli` millicores. */
  async function pod(name: string, rps: number, cpuMilli = 0): Promise<void> {
    const p = await createPod(name);
    const started = rfc3339(rig.now() - 3_600_000);
    await rig.api.updateStatus(POD, {
      ...p,
      status: {
        phase: 'Running',
        startTime: started,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }],
      },
    });
    sample(name, p.metadata.uid ?? '', rps, cpuMilli);
  }

  /** Pod `name`'s (`uid`) usage report, ending now: `rps` requests/s, `cpuMilli` millicores, 1 MiB. */
  function sample(name: string, uid: string, rps: number, cpuMilli = 0): void {
    usage.record(rig.now(), name, uid, {
      containers: [{ name: 'c', cpuNanoCores: cpuMilli * 1e6, memoryBytes: 1 << 20 }],
      requestsPerSecond: rps,
    });
  }

  /** Creates the HPA `web` of the Deployment `web`: at most 10 replicas on `RPS`, unless `spec` says else. */
  async function hpa(
    spec: Partial<HorizontalPodAutoscaler['spec']>,
    annotations?: Record<string, string>,
  ): Promise<void> {
    await rig.api.create(HPA, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        maxReplicas: 10,
        metrics: [RPS],
        ...spec,
      },
    });
  }

  /** One sync of the HPA `web`, settled. */
  async function sync(): Promise<void> {
    rig.ctrl.resync('default', 'web');
    // The informer delivers the write before the queue is idle only eventually: settle both.
    await new Promise((r) => setImmediate(r));
    await rig.ctrl.idle();
  }

  const replicas = async (): Promise<number> =>
    (await rig.api.get<Deployment>(DEPLOY, 'default', 'web')).spec.replicas ?? 0;
  const status = async () => (await rig.api.get<HorizontalPodAutoscaler>(HPA, 'default', 'web')).status;
  const events = async (): Promise<string[]> =>
    (await rig.api.list<Event>(EVENT, { namespace: 'default' })).items.map(
      (e) => `${e.reason ?? ''}: ${e.message ?? ''}`,
    );

  return {
    get api(): ObjectRegistry {
      return rig.api;
    },
    get usage(): MemoryUsage {
      return usage;
    },
    /** The injected clock's time. */
    now: (): number => rig.now(),
    /** Moves the clock on by `ms`. */
    tick: (ms: number): void => rig.tick(ms),
    deployment,
    service,
    createPod,
    pod,
    sample,
    hpa,
    sync,
    replicas,
    status,
    events,
  };
}

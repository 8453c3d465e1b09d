/**
 * The canary controller's test rig (`canary-controller*.test.ts`): a real registry and SQLite store with
 * an injected clock, the informers and the controller. No Deployment controller or node runs: the
 * helpers write the Deployments' status and the pods as they would (canary-objects.ts), and the usage
 * intake is an in-memory `UsageSource` they fill (canary-usage.ts: the controller is under test, not the
 * intake).
 */
import { expect } from 'vitest';
import type { Canary, Deployment, Endpoints, Event, HTTPRoute, Pod, Service } from '../../../../api/index.js';
import type { InformerFactory } from '../../../informers/index.js';
import { EventRecorder } from '../../../reconcile/index.js';
import type { ObjectRegistry } from '../../../registry/index.js';
import { controllerRig } from '../../testing/controller-rig.js';
import { CanaryController } from '../index.js';
import {
  CANARY,
  DEPLOY,
  EVENT,
  METRICS,
  ROUTE,
  createCanary,
  createCanaryPods,
  writeRolledOut,
  writeTarget,
} from './canary-objects.js';
import { TestUsage } from './canary-usage.js';

/** The analysis interval of the rig's canaries. */
export const INTERVAL = 30_000;

/**
 * Registers the rig's set-up and tear-down (inside a `describe`): a registry on SQLite with an
 * injected clock, the informers and a started controller (controllers/testing/controller-rig.ts);
 * returns it with the helpers the tests use.
 */
export function canaryRig() {
  let usage: TestUsage;
  const rig = controllerRig({
    prefix: 'edge-canary-',
    start: '2026-12-03T12:00:00Z',
    build: ({ api, informers, clock, logger }) => {
      usage = new TestUsage();
      return new CanaryController({
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
    },
  });

  const get = <T>(type: typeof DEPLOY, name: string): Promise<T> => rig.api.get(type, 'default', name) as Promise<T>;
  const status = async (): Promise<Canary['status']> => (await get<Canary>(CANARY, 'podinfo')).status;
  const eventList = async (): Promise<string[]> =>
    (await rig.api.list<Event>(EVENT, { namespace: 'default' })).items
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
      rig.ctrl.resync('default', 'podinfo');
      await new Promise((r) => setTimeout(r, 5));
      await rig.ctrl.idle();
      if (await ok()) return;
    }
    throw new Error(`never reached: ${what} (status ${JSON.stringify(await status())})`);
  }
  const phase = (p: string, weight?: number) => async (): Promise<boolean> => {
    const s = await status();
    return s?.phase === p && (weight === undefined || s.canaryWeight === weight);
  };

  // The scenario's writes (canary-objects.ts) against this test's registry.
  const target = (image: string, replicas?: number): Promise<void> => writeTarget(rig.api, image, replicas);
  const rolledOut = (name: string): Promise<void> => writeRolledOut(rig.api, name);
  const canaryPods = (n: number): Promise<string[]> => createCanaryPods(rig.api, n);
  const canary = (analysis: Canary['spec']['analysis']): Promise<void> => createCanary(rig.api, analysis);

  /** One usage report per canary pod, ending now (`TestUsage.report`). */
  function report(uids: string[], rps: number, errorRate?: number, latencyMs?: number): void {
    usage.report(rig.now(), uids, rps, errorRate, latencyMs);
  }

  /** Moves the clock on by `ms` (default: one analysis interval). */
  function tick(ms = INTERVAL): void {
    rig.tick(ms);
  }

  /**
   * An interval on, the canary's first report of healthy traffic, taken in by one reconcile: the analysis'
   * first check with traffic comes an interval after it (analysis.ts).
   */
  async function firstReport(uids: string[]): Promise<void> {
    tick();
    report(uids, 20);
    await converge('the first report taken in', () => Promise.resolve(true));
  }

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

  return {
    get api(): ObjectRegistry {
      return rig.api;
    },
    get ctrl(): CanaryController {
      return rig.ctrl;
    },
    get informers(): InformerFactory {
      return rig.informers;
    },
    /** The injected clock's time. */
    now: (): number => rig.now(),
    tick,
    get,
    status,
    events,
    weights,
    converge,
    phase,
    target,
    rolledOut,
    canaryPods,
    report,
    firstReport,
    canary,
    METRICS,
    initialized,
    newRevision,
  };
}

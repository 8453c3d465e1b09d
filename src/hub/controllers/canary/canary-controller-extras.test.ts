/**
 * The canary controller beyond the analysis loop, on the same rig (`testing/canary-rig.ts`):
 * `autoscalerRef` (the primary's HPA), the checks beyond Flagger (restarts, readiness), manual
 * promote and abort, and what is refused outside the supported subset.
 */
import { describe, expect, it } from 'vitest';
import type { Canary, Deployment, HorizontalPodAutoscaler, Pod } from '../../../api/index.js';
import { CANARY_ABORT_ANNOTATION, CANARY_PROMOTE_ANNOTATION, typeByKind } from '../../../api/index.js';
import { canaryRig } from './testing/canary-rig.js';

const POD = typeByKind('v1', 'Pod')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;

describe('CanaryController: autoscaler, beyond Flagger, manual control, refusals', () => {
  const rig = canaryRig();
  const {
    get,
    status,
    events,
    weights,
    converge,
    phase,
    target,
    rolledOut,
    report,
    METRICS,
    initialized,
    newRevision,
  } = rig;

  /** Sets the manual-control annotation `key` to the revision under analysis, as `edgectl canary` does. */
  async function ask(key: string, revision?: string): Promise<void> {
    const cd = await get<Canary>(CANARY, 'podinfo');
    const rev = revision ?? cd.status?.lastAppliedSpec ?? '';
    const annotations = { ...(cd.metadata.annotations ?? {}), [key]: rev };
    await rig.api.update(CANARY, { ...cd, metadata: { ...cd.metadata, annotations } });
  }

  /** Waits (no resync, up to 10 s) for the controller to reach `p` on its own. */
  async function woken(p: string): Promise<void> {
    for (let i = 0; i < 1000 && (await status())?.phase !== p; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await status())?.phase).toBe(p);
  }

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
    await rig.api.create(CANARY, {
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
    await rig.api.create(HPA, hpa(2, 6));
    await converge('Initializing', async () => (await rig.api.list(HPA, { namespace: 'default' })).items.length === 2);
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
    await rig.api.update(HPA, { ...have, spec: { ...have.spec, minReplicas: 3, maxReplicas: 10 } });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 50));
    expect((await primaryHpa()).minReplicas).toBe(2);
    // Meanwhile the primary's HPA scaled the primary to 4: promotion leaves its replicas to the HPA.
    const primary = await get<Deployment>(DEPLOY, 'podinfo-primary');
    await rig.api.update(DEPLOY, { ...primary, spec: { ...primary.spec, replicas: 4 } });
    await rig.firstReport(uids);
    rig.tick();
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
    const pods = rig.informers.for<Pod>('v1', 'Pod');
    /** Writes a canary pod's status as its node would report it, and waits until the controller's cache has it. */
    async function podStatus(name: string, ready: boolean, restartCount: number): Promise<void> {
      const p = await rig.api.get<Pod>(POD, 'default', name);
      await rig.api.updateStatus(POD, {
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
    await rig.firstReport(uids);
    await podStatus('podinfo-0', true, 1);
    rig.tick();
    report(uids, 20);
    await converge('a restart fails a check', async () => (await status())?.failedChecks === 1);
    await podStatus('podinfo-1', false, 0);
    rig.tick();
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
    rig.tick();
    report(uids, 20);
    await converge('advanced', phase('Progressing', 20));
  });

  it('manual promote skips the remaining steps; a request naming an older revision is ignored', async () => {
    await initialized({ interval: '30s', threshold: 2, stepWeight: 10, maxWeight: 50, metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 10));
    await ask(CANARY_PROMOTE_ANNOTATION, 'an-older-revision');
    report(uids, 20);
    await new Promise((r) => setTimeout(r, 50));
    await rig.ctrl.idle();
    expect(await status()).toMatchObject({ phase: 'Progressing', canaryWeight: 10 });
    await ask(CANARY_PROMOTE_ANNOTATION);
    // No clock move: the annotation alone wakes the controller (no resync here).
    await woken('Promoting');
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v2.wasm');
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    rig.tick();
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
      const err = await rig.api
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

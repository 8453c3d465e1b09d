/**
 * The canary analysis over a real registry and SQLite store with an injected clock (`testing/canary-rig.ts`):
 * initialization, a healthy canary promoted step by step, a failing one rolled back at its threshold,
 * holding for traffic, blue-green. The HPA mirror, the checks beyond Flagger, manual control and
 * refusals: `canary-controller-extras.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, HTTPRoute, Service } from '../../../api/index.js';
import { rfc3339, typeByKind } from '../../../api/index.js';
import { canaryRig } from './testing/canary-rig.js';

const SVC = typeByKind('v1', 'Service')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const ROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;

describe('CanaryController', () => {
  const rig = canaryRig();
  const {
    get,
    status,
    events,
    weights,
    converge,
    phase,
    rolledOut,
    report,
    firstReport,
    METRICS,
    initialized,
    newRevision,
  } = rig;

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
    await firstReport(uids);
    expect(await status()).toMatchObject({ canaryWeight: 10 }); // not judged on its first report
    for (const w of [20, 30]) {
      rig.tick();
      report(uids, 20);
      await converge(`weight ${w}`, phase('Progressing', w));
      expect(await weights()).toEqual([100 - w, w]);
    }
    rig.tick();
    report(uids, 20);
    await converge('Promoting', phase('Promoting'));
    expect((await get<Deployment>(DEPLOY, 'podinfo-primary')).spec.template.spec.containers[0]!.image).toBe('v2.wasm');
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    expect(await weights()).toEqual([100, 0]);
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(2); // scaled down an interval later
    rig.tick();
    await converge('Succeeded', phase('Succeeded'));
    expect((await get<Deployment>(DEPLOY, 'podinfo')).spec.replicas).toBe(0);
    const s = await status();
    expect(s).toMatchObject({ canaryWeight: 0, failedChecks: 0, lastPromotedSpec: s?.lastAppliedSpec });
    expect(s?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'True', reason: 'Succeeded' });
    expect(s?.lastTransitionTime).toBe(rfc3339(rig.now()));
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
    await firstReport(uids);
    rig.tick();
    report(uids, 20, 0.3); // 30 % answered 500
    await converge('one failed check', async () => (await status())?.failedChecks === 1);
    expect((await status())?.canaryWeight).toBe(10); // a failed check holds the weight
    rig.tick();
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
    rig.tick(); // no report yet: the canary holds, no check counts
    await converge('held', async () => (await events(HELD)).includes(HELD));
    expect((await status())?.failedChecks).toBe(0);
    report(uids, 20);
    await converge('first report seen', async () => (await events(HELD)).length > 0);
    rig.tick(); // judged an interval after the first report
    report(uids, 20);
    await converge('first check', phase('Progressing', 100));
    rig.tick(); // no further report
    await converge('no values', async () => (await status())?.failedChecks === 1);
    rig.tick();
    report(uids, 20, 0, 900);
    await converge('slow', async () => (await status())?.failedChecks === 2);
    const want = [
      'Warning Halt advancement no values found for metric request-success-rate probably podinfo.default is not receiving traffic',
      // Flagger's P99, interpolated in the bucket (500, 1000] as histogram_quantile does.
      'Warning Halt podinfo.default advancement request duration P99 995ms > 500ms',
    ];
    expect(await events(...want)).toEqual(expect.arrayContaining(want));
  });

  it('judges the first step an interval after its first report, not on the sliver that report may hold', async () => {
    await initialized({ interval: '30s', threshold: 1, stepWeights: [5, 15, 30], metrics: METRICS });
    const uids = await newRevision();
    await converge('first step', phase('Progressing', 5));
    rig.tick();
    report(uids, 0.6); // three requests per pod, none failed yet: a canary failing 30 % looks healthy on it
    await converge('the sliver looked at', () => Promise.resolve(true)); // one reconcile
    expect(await status()).toMatchObject({ phase: 'Progressing', canaryWeight: 5, failedChecks: 0 });
    rig.tick();
    report(uids, 20, 0.3);
    await converge('Failed', phase('Failed', 0));
    const halt = 'Warning Halt podinfo.default advancement success rate 70% < 99%';
    expect(await events(halt)).toContain(halt);
    expect(await events()).not.toContain('Normal Advance podinfo.default canary weight 15');
  });

  it('blue-green: iterations with no user traffic, then all traffic at once, then the promotion', async () => {
    await initialized({ interval: '30s', threshold: 1, iterations: 2, metrics: METRICS });
    await newRevision();
    await converge('iteration 1', async () => (await status())?.iterations === 1);
    expect(await weights()).toEqual([100, 0]);
    rig.tick(); // no traffic: judged by readiness and restarts
    await converge('iteration 2', async () => (await status())?.iterations === 2);
    rig.tick();
    await converge('switch', phase('Progressing', 100));
    expect(await weights()).toEqual([0, 100]);
    rig.tick();
    await converge('Promoting', phase('Promoting'));
    await rolledOut('podinfo-primary');
    await converge('Finalising', phase('Finalising', 0));
    expect(await weights()).toEqual([100, 0]);
    expect(await events('Normal Routing all traffic to canary')).toContain('Normal Routing all traffic to canary');
  });
});

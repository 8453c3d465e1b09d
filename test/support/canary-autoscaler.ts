/**
 * Flagger's `autoscalerRef` end to end, run inside an e2e file whose cluster has a fast HPA sync and
 * nodes reporting request metrics every second (`test/hpa.test.ts`). A Canary over a Deployment with
 * an `autoscaling/v2` HPA on request rate: the controller mirrors the HPA as `<hpa>-primary` onto
 * `<target>-primary`; real load through a NodePort (the user's apex Service, which the canary points
 * at the primary) makes that mirror scale the primary up; a new revision is promoted (`skipAnalysis`,
 * the analysis itself is tested in canary-analysis.ts) and the primary HPA takes the user's changed
 * spec (a lower maximum) at promotion; the promotion leaves the primary's replicas alone and the
 * mirror, not the promotion, brings the primary down to that maximum with the load still on.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Canary, Deployment, HorizontalPodAutoscaler, KubeObject } from '../../src/api/index.js';
import { ROOT, httpGet, kind, until, type Cluster, type NodeSpec } from './cluster.js';
import { Load } from './load.js';

const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');
const NAME = 'cdh';

/** The user's objects: Deployment, NodePort apex Service, HPA on request rate, and the Canary. */
function manifest(nodePort: number): string {
  const labels = { app: NAME };
  const container = {
    name: NAME,
    image: HELLO_C,
    ports: [{ containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
  };
  const docs = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NAME },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 3, containers: [container] } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAME },
      spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080, nodePort }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: NAME },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
        minReplicas: 1,
        maxReplicas: 2,
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '5' } },
          },
        ],
        // Short windows, so the test sees scaling in seconds.
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 1 }] },
          scaleDown: { stabilizationWindowSeconds: 3, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
        },
      },
    },
    {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: NAME },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME },
        autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: NAME },
        skipAnalysis: true,
        service: { port: 80, targetPort: 8080 },
        analysis: { interval: '1s', stepWeight: 50 },
      },
    },
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** Registers the test on `cluster` (started by the caller's beforeAll); `nodePort` is free on `nodes`. */
export function canaryAutoscalerSuite(cluster: Cluster, nodes: readonly NodeSpec[], nodePort: number): void {
  describe('Canary autoscalerRef with a real HPA', () => {
    const get = <T extends KubeObject>(plural: string, name: string): Promise<T> =>
      cluster.client.get<T>(kind(plural), 'default', name);
    const replicas = async (name: string): Promise<number | undefined> =>
      (await get<Deployment>('deployments', name)).spec.replicas;
    const readyPrimaries = async (): Promise<number> =>
      (
        await cluster.client.list<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
          kind('pods'),
          { namespace: 'default', labelSelector: `app=${NAME}-primary` },
        )
      ).items.filter(
        (p) =>
          !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    const phase = (want: string) => async (): Promise<boolean> =>
      (await get<Canary & KubeObject>('canaries', NAME)).status?.phase === want;

    it('mirrors the HPA onto the primary, which scales under load and takes the new spec at promotion', async () => {
      const started = Date.now();
      // Flagger's KEDA variant of the Canary (its last document) is refused by the hub, the field named.
      const canaryDoc = manifest(nodePort).split('\n---\n').pop()!;
      const keda = canaryDoc.replace('"autoscalerRef":{', '"autoscalerRef":{"primaryScalerQueries":{"q":"sum(x)"},');
      const refused = await cluster.edgectl(['apply', '-f', '-'], keda);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/spec\.autoscalerRef\.primaryScalerQueries: not supported .*no KEDA/);
      const applied = await cluster.edgectl(['apply', '-f', '-'], manifest(nodePort));
      expect(applied.code, applied.stderr).toBe(0);
      await until('the canary initialized', phase('Initialized'), 60_000, 200);
      const mirror = await get<HorizontalPodAutoscaler>('hpa', `${NAME}-primary`);
      expect(mirror.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: NAME });
      expect(mirror.spec.scaleTargetRef.name).toBe(`${NAME}-primary`);
      expect(mirror.spec.maxReplicas).toBe(2);
      expect(await replicas(NAME)).toBe(0); // the target (the canary) waits at zero for a new revision
      const urls = nodes.map((n) => `http://${n.address}:${nodePort}/`);
      for (const url of urls)
        await until(`${url} answering`, async () => (await httpGet(url)).status === 200, 30_000, 100);

      const load = new Load(urls, { concurrency: 2 });
      try {
        // Real load through the apex: the primary's HPA (the mirror) scales the primary up.
        await until('2 Ready primary pods under load', async () => (await readyPrimaries()) === 2, 60_000, 200);
        const scaled = await get<HorizontalPodAutoscaler>('hpa', `${NAME}-primary`);
        expect(scaled.status?.currentMetrics?.[0]?.pods?.metric.name).toBe('http_requests_per_second');
        // The user's HPA leaves its target alone while the canary holds it at zero.
        const user = await get<HorizontalPodAutoscaler>('hpa', NAME);
        expect(user.status?.conditions?.find((c) => c.type === 'ScalingActive')?.reason).toBe('ScalingDisabled');
        console.log(`[canary hpa] primary at 2 under load ${((Date.now() - started) / 1000).toFixed(1)} s in`);

        // The user lowers the HPA's maximum, then changes the pod template: a new revision, promoted.
        const lowered = { spec: { maxReplicas: 1 } };
        const patched = await cluster.edgectl(['patch', 'hpa', NAME, '--type', 'merge', '-p', JSON.stringify(lowered)]);
        expect(patched.code, patched.stderr).toBe(0);
        const env = [
          { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'REVISION', value: '2' }] },
        ];
        const rev = await cluster.edgectl(['patch', 'deployment', NAME, '--type', 'json', '-p', JSON.stringify(env)]);
        expect(rev.code, rev.stderr).toBe(0);
        await until('the canary promoted', phase('Succeeded'), 90_000, 200);
        console.log(`[canary hpa] promoted ${((Date.now() - started) / 1000).toFixed(1)} s in`);
        const primary = await get<Deployment>('deployments', `${NAME}-primary`);
        expect(primary.spec.template.spec.containers[0]!.env).toEqual([{ name: 'REVISION', value: '2' }]);
        // The mirror took the user's new spec at promotion; it, not the promotion, sets the primary's
        // replicas: from 2 down to its new maximum, with the load still on.
        expect((await get<HorizontalPodAutoscaler>('hpa', `${NAME}-primary`)).spec.maxReplicas).toBe(1);
        await until(
          'the primary at 1 (the mirror’s new maximum)',
          async () => (await replicas(`${NAME}-primary`)) === 1,
        );
        const rescaled = await until('the mirror’s rescale event', async () => {
          const list = await cluster.client.list<KubeObject & { message?: string; involvedObject?: { name?: string } }>(
            kind('events'),
            { namespace: 'default' },
          );
          return list.items.find(
            (e) => e.involvedObject?.name === `${NAME}-primary` && e.message?.startsWith('New size: 1'),
          )?.message;
        });
        expect(rescaled).toBe('New size: 1; reason: Current number of replicas above Spec.MaxReplicas');
        expect(await replicas(NAME)).toBe(0);
      } finally {
        await load.stop();
      }
      console.log(
        `[canary hpa] ${load.records.length} requests, ${load.failures.length} failed`,
        load.failures.slice(0, 3),
      );
      console.log(`[canary hpa] whole case ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }, 180_000);
  });
}

/**
 * HorizontalPodAutoscaler end to end (issue 16), with a real hub (`--hpa-sync-period 1s`) and two
 * real nodes reporting usage every second: a load step through a NodePort drives an HPA on request
 * rate from 1 to 3 replicas and, after the load stops, back to 1 within the configured windows;
 * CPU-based scaling on a component that burns CPU per request (`cpu-burn`); and scale to zero — an
 * idle target goes to 0, then a single request is answered 200 and the target is back at 1. Then, on
 * the same cluster, a Canary's `autoscalerRef` (test/support/canary-autoscaler.ts): the mirrored
 * `<hpa>-primary` scales the primary under load and takes the HPA's spec at promotion.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, HorizontalPodAutoscaler, KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, httpGet, kind, until } from './support/cluster.js';
import { Load } from './support/load.js';
import { canaryAutoscalerSuite } from './support/canary-autoscaler.js';

const NODES = [
  { name: 'hpa-a', address: '127.0.19.2' },
  { name: 'hpa-b', address: '127.0.19.3' },
];
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');
const CPU_BURN_DIR = join(ROOT, 'examples/wasm-apps/cpu-burn');
const CPU_BURN = join(CPU_BURN_DIR, 'dist/cpu-burn.wasm');

interface PodLike extends KubeObject {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** A Deployment + NodePort Service + HPA of one Wasm component, as JSON documents for `apply -f -`. */
function app(name: string, image: string, nodePort: number, hpaSpec: object, hpaAnnotations: object = {}): string {
  const docs = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name,
                image,
                resources: { requests: { cpu: '100m' } },
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, targetPort: 8080, nodePort }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, annotations: hpaAnnotations },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, ...hpaSpec },
    },
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** Short windows, so a test sees a full cycle in seconds. */
const FAST_BEHAVIOR = {
  scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 1 }] },
  scaleDown: { stabilizationWindowSeconds: 3, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
};

describe('HorizontalPodAutoscaler on real nodes', () => {
  const cluster = new Cluster(['--hpa-sync-period', '1s', '--heartbeat-interval', '1s'], ['--metrics-interval', '1s']);
  const deployment = (name: string): Promise<Deployment> =>
    cluster.client.get<Deployment>(kind('deployments'), 'default', name);
  const readyPods = async (name: string): Promise<PodLike[]> =>
    (
      await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: `app=${name}` })
    ).items.filter(
      (p) =>
        !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  const hpa = (name: string): Promise<HorizontalPodAutoscaler> =>
    cluster.client.get<HorizontalPodAutoscaler>(kind('hpa'), 'default', name);
  const apply = async (manifest: string): Promise<void> => {
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    // The CPU-burning component is built on demand (its dist is gitignored, like every example's).
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-examples.mjs'), CPU_BURN_DIR], { stdio: 'pipe' });
    await cluster.start(NODES);
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('scales on request rate from 1 to 3 under a load step and back to 1 after it', async () => {
    await apply(
      app('rps', HELLO_C, 30090, {
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '5' } },
          },
        ],
        behavior: FAST_BEHAVIOR,
      }),
    );
    await until('one Ready rps pod', async () => (await readyPods('rps')).length === 1, 60_000);
    // Both nodes route to it before the step: a Service no HPA may take to zero is not held while
    // its endpoint is on the way (503 at once), and the step must not start in that window.
    for (const url of ['http://127.0.19.2:30090/', 'http://127.0.19.3:30090/'])
      await until(`${url} answering`, async () => (await httpGet(url)).status === 200, 30_000, 100);
    const t0 = Date.now();
    const load = new Load(['http://127.0.19.2:30090/', 'http://127.0.19.3:30090/'], { concurrency: 2 });
    try {
      await until('3 Ready rps pods under load', async () => (await readyPods('rps')).length === 3, 60_000, 200);
      console.log(`[hpa e2e] request rate: load step → 3 Ready replicas in ${Date.now() - t0} ms`);
      const h = await hpa('rps');
      expect(h.status?.currentMetrics?.[0]?.pods?.metric.name).toBe('http_requests_per_second');
    } finally {
      await load.stop();
    }
    expect(load.records.filter((r) => r.status !== 200)).toEqual([]);
    const t1 = Date.now();
    await until('the rps Deployment back at 1', async () => (await deployment('rps')).spec.replicas === 1, 60_000, 200);
    console.log(`[hpa e2e] request rate: load stop → back at 1 in ${Date.now() - t1} ms (scale-down window 3 s)`);
    const list = await cluster.edgectl(['get', 'hpa', 'rps']);
    expect(list.stdout).toMatch(/rps\s+Deployment\/rps\s+\S+\/5\s+1\s+3\s+/);
  }, 180_000);

  it('scales on CPU utilization of a component that burns CPU per request', async () => {
    await apply(
      app('burn', CPU_BURN, 30091, {
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
        behavior: FAST_BEHAVIOR,
      }),
    );
    await until('one Ready burn pod', async () => (await readyPods('burn')).length === 1, 60_000);
    const load = new Load(['http://127.0.19.2:30091/?work=5'], { concurrency: 2, timeoutMs: 20_000 });
    try {
      await until(
        'the burn Deployment scaled above 1',
        async () => ((await deployment('burn')).spec.replicas ?? 0) > 1,
        90_000,
        200,
      );
      const cpu = (await hpa('burn')).status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0;
      console.log(`[hpa e2e] cpu: scaled to ${(await deployment('burn')).spec.replicas} at ${cpu}% of requests`);
      expect(cpu).toBeGreaterThan(50);
    } finally {
      await load.stop();
    }
  }, 180_000);

  it('takes an idle target to zero, and one request brings it back: 200 and one replica', async () => {
    await apply(
      app(
        'sleepy',
        HELLO_C,
        30092,
        {
          minReplicas: 0,
          maxReplicas: 2,
          metrics: [
            {
              type: 'Pods',
              pods: {
                metric: { name: 'http_requests_per_second' },
                target: { type: 'AverageValue', averageValue: '10' },
              },
            },
          ],
        },
        { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '3' },
      ),
    );
    await until(
      'the sleepy Deployment at zero',
      async () => (await deployment('sleepy')).spec.replicas === 0,
      60_000,
      200,
    );
    await until('no sleepy pods', async () => (await readyPods('sleepy')).length === 0, 30_000, 200);
    const shown = await until(
      '`get hpa` showing idle',
      async () => {
        const r = await cluster.edgectl(['get', 'hpa', 'sleepy']);
        return r.stdout.includes('(idle)') ? r.stdout : undefined;
      },
      30_000, // a poll, not a speed check: at load 15 the status write can lag
      200,
    );
    expect(shown).toMatch(/sleepy\s+Deployment\/sleepy\s+0\/10 \(idle\)\s+0\s+2\s+0\s+/);
    const t0 = Date.now();
    const res = await httpGet('http://127.0.19.3:30092/', 30_000);
    console.log(`[hpa e2e] cold start from zero: first request answered in ${Date.now() - t0} ms`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'hello from Edgeplane' });
    expect((await deployment('sleepy')).spec.replicas).toBe(1);
    expect(await readyPods('sleepy')).toHaveLength(1);
  }, 120_000);

  // Flagger's autoscalerRef on the same nodes and fast HPA sync: the primary's HPA under real load.
  canaryAutoscalerSuite(cluster, NODES, 30093);
});

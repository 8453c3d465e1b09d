/** `edgectl autoscale`, `get hpa` and `describe hpa` against a real API server (no controllers run: status is written here). */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { typeByName, type HorizontalPodAutoscaler, type ResourceType } from '../../api/index.js';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { run } from '../main.js';
import { captureIO } from '../testing/index.js';

const T = (n: string): ResourceType => typeByName(n) as ResourceType;
let hub: TestHub;
let env: Record<string, string>;
let dir: string;

async function edgectl(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ env, cwd: dir });
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.errText() };
}

beforeAll(async () => {
  hub = await startTestHub({ version: 'v0.1.0-fake' });
  dir = await mkdtemp(join(tmpdir(), 'edgectl-hpa-'));
  env = { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir };
  await hub.api.create(T('deploy'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x.wasm' }] } },
    },
  });
});
afterAll(() => hub.close());

it('autoscale creates an HPA as kubectl does and refuses bad flags', async () => {
  const r = await edgectl(['autoscale', 'deployment/web', '--min', '2', '--max', '5', '--cpu-percent', '50']);
  expect(r).toMatchObject({ code: 0, out: 'horizontalpodautoscaler.autoscaling/web autoscaled\n' });
  const h = await hub.api.get<HorizontalPodAutoscaler>(T('hpa'), 'default', 'web');
  expect(h.spec).toMatchObject({
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 5,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
  });
  expect((await edgectl(['autoscale', 'deployment/web', '--min', '2'])).err).toContain('--max=MAXPODS is required');
  expect((await edgectl(['autoscale', 'deployment/web', '--max', '2', '--min', '3'])).err).toContain(
    'must not be more than --max',
  );
  expect((await edgectl(['autoscale', 'service/web', '--max', '2'])).err).toContain('no /scale subresource');
  // The hub names the field it refuses: minReplicas 0 needs the request-rate metric.
  const zero = await edgectl(['autoscale', 'deployment/web', '--name', 'z', '--min', '0', '--max', '2']);
  expect(zero.code).toBe(1);
  expect(zero.err).toContain('spec.minReplicas');
});

it('get hpa prints kubectl columns, with <unknown> before the first sync and the current values after', async () => {
  const before = await edgectl(['get', 'hpa']);
  expect(before.out.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
  expect(before.out).toMatch(/web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+5\s+0\s+/);
  const h = await hub.api.get<HorizontalPodAutoscaler>(T('hpa'), 'default', 'web');
  await hub.api.updateStatus(T('hpa'), {
    ...h,
    status: {
      currentReplicas: 3,
      desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 37, averageValue: '37m' } } },
      ],
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
        },
        {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ValidMetricFound',
          message:
            'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
        },
      ],
    },
  });
  expect((await edgectl(['get', 'hpa'])).out).toMatch(/web\s+Deployment\/web\s+cpu: 37%\/50%\s+2\s+5\s+3\s+/);
  const d = await edgectl(['describe', 'hpa', 'web']);
  expect(d.out).toMatch(/Reference:\s+Deployment\/web/);
  expect(d.out).toMatch(/resource cpu on pods {2}\(as a percentage of request\):\s+37% \(37m\) \/ 50%/);
  expect(d.out).toMatch(/Deployment pods:\s+3 current \/ 3 desired/);
  expect(d.out).toMatch(/ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able/);
});

it('get hpa shows a target scaled to zero as idle', async () => {
  await hub.api.create(T('hpa'), {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'idle', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 0,
      maxReplicas: 4,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } },
        },
      ],
    },
  });
  const h = await hub.api.get<HorizontalPodAutoscaler>(T('hpa'), 'default', 'idle');
  await hub.api.updateStatus(T('hpa'), {
    ...h,
    status: {
      currentReplicas: 0,
      desiredReplicas: 0,
      conditions: [{ type: 'ScalingActive', status: 'False', reason: 'ScaledToZero', message: 'no requests for 300s' }],
    },
  });
  expect((await edgectl(['get', 'hpa', 'idle'])).out).toMatch(/idle\s+Deployment\/web\s+0\/10 \(idle\)\s+0\s+4\s+0\s+/);
  expect((await edgectl(['describe', 'hpa', 'idle'])).out).toMatch(
    /"http_requests_per_second" on pods:\s+<unknown> \/ 10/,
  );
});

/**
 * The node's metrics and scale from zero on real processes: a real hub and a node with
 * `--metrics-bind-address`, hello-c serving traffic through a NodePort. Prometheus' view of the node
 * (its `/metrics` listener) shows the pods' requests, CPU, memory and the Wasm executors' guest time;
 * with the Deployment scaled to zero, a request is refused at once (503 naming the Service) while no
 * HPA may take it to zero, and held by the node and answered once a replica is back when one may.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../src/api/index.js';
import { Cluster, ROOT, httpGet, kind, runLoad, until, type LoadSample } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const NODE = { name: 'nm-a', address: '127.0.28.2' };
const NODE_PORT = 30271;
const METRICS = `http://${NODE.address}:19190/metrics`;
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');

/** The value of the first series of `metric` whose labels include every one of `labels`. */
function value(text: string, metric: string, labels: string[]): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('node metrics on a real node', () => {
  const cluster = new Cluster(
    [],
    ['--metrics-interval', '1s', '--metrics-bind-address', `${NODE.address}:19190`, '--scale-from-zero-timeout', '60s'],
  );
  const url = `http://${NODE.address}:${NODE_PORT}/`;

  beforeAll(async () => {
    await cluster.start([NODE]);
    const manifest = wasmServiceManifest({ name: 'nmweb', image: HELLO_C, replicas: 1, nodePort: NODE_PORT });
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    await until('the NodePort to answer', async () => (await httpGet(url)).status === 200, 60_000);
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('serves per-pod requests, CPU and memory, and the executors’ guest time on /metrics', async () => {
    let stop = false;
    const samples: LoadSample[] = [];
    const load = runLoad([url], 4, () => stop, samples);
    try {
      const text = await until(
        'the pod’s CPU under load on /metrics',
        async () => {
          const t = await (await fetch(METRICS)).text();
          return (value(t, 'edgeplane_container_cpu_usage_cores', ['pod="nmweb-']) ?? 0) > 0 ? t : undefined;
        },
        30_000,
        500,
      );
      expect(value(text, 'edgeplane_pod_http_requests_total', ['pod="nmweb-', 'code_class="2xx"'])).toBeGreaterThan(0);
      expect(value(text, 'edgeplane_service_http_requests_total', ['service="nmweb"', 'code_class="2xx"'])).toBeGreaterThan(0); // prettier-ignore
      expect(value(text, 'edgeplane_pod_http_request_duration_seconds_count', ['pod="nmweb-'])).toBeGreaterThan(0);
      // A hello-c instance: its linear memory plus the 512 KiB overhead, well under its 128 Mi limit.
      const memory = value(text, 'edgeplane_container_memory_working_set_bytes', ['pod="nmweb-'])!;
      expect(memory).toBeGreaterThan(512 * 1024);
      expect(memory).toBeLessThan(128 * 2 ** 20);
      // Less than the node's cores: guest time is CPU time.
      expect(value(text, 'edgeplane_container_cpu_usage_cores', ['pod="nmweb-'])).toBeLessThan(4);
      expect(Number(/^edgeplane_wasm_guest_seconds_total (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
      expect(Number(/^edgeplane_node_memory_working_set_bytes (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    } finally {
      stop = true;
      await load;
    }
    expect(samples.filter((s) => s.status === 200).length).toBeGreaterThan(0);
  });

  it('holds a request while a scale-to-zero Service has no endpoint, and answers it when a replica is back', async () => {
    expect((await cluster.edgectl(['scale', 'deployment/nmweb', '--replicas=0'])).code).toBe(0);
    await until(
      'the Service to have no endpoint on the node',
      async () => {
        const t = await (await fetch(METRICS)).text();
        return value(t, 'edgeplane_container_restarts', ['pod="nmweb-']) === undefined;
      },
      60_000,
      500,
    );
    // No HPA may take nmweb to zero: nothing to wait for, the node answers 503 at once. (The pod can
    // leave the node a moment before the Service change that drops it arrives: meanwhile the node
    // answers the 503 of an endpoint that is gone, so this is polled, not read once.)
    const refused = await until(
      'the node to answer 503 naming no ready endpoints',
      async () => {
        const r = await httpGet(url);
        expect(r.status).toBe(503);
        return r.body.includes('no ready endpoints for service "default/nmweb"') ? r : undefined;
      },
      30_000,
      100,
    );
    expect(refused.status).toBe(503);
    // An HPA that may (minReplicas 0; its idle window longer than the test) marks the Service wakeable.
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'nmweb', annotations: { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '3600' } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nmweb' },
        minReplicas: 0,
        maxReplicas: 1,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'http_requests_per_second' },
              target: { type: 'AverageValue', averageValue: '100' },
            },
          },
        ],
      },
    };
    expect((await cluster.edgectl(['apply', '-f', '-'], JSON.stringify(hpa))).code).toBe(0);
    // Once the node has the flag, a request is held and its wake brings a replica back: answered.
    // (Until the flag arrives a request may still get the immediate 503: polled, not slept.)
    const answered = await until(
      'a request held at zero and answered',
      async () => {
        const r = await httpGet(url, 60_000);
        return r.status === 200 ? r : undefined;
      },
      90_000,
      200,
    );
    expect(answered.body.length).toBeGreaterThan(0);
    const deploy = await cluster.client.get<Deployment>(kind('deployments'), 'default', 'nmweb');
    expect(deploy.spec.replicas).toBe(1);
  }, 180_000);
});

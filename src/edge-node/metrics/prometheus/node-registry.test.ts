/**
 * The node's Prometheus exposition (written by prom-client) over the mesh's real request counters:
 * per-pod and per-Service counters and histograms, restarts, CPU and memory, and the Wasm runtime's
 * gauges; served on the listener and as the answer to the hub's `metricsRequest`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NodeMetricsResult } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { RequestAccounting } from '../../mesh/index.js';
import { MetricsListener, metricsResult } from './metrics-endpoint.js';
import { nodeRegistry } from './node-registry.js';

const requests = new RequestAccounting();
requests.podRequest('shop', 'cart-1', 200, 3);
requests.podRequest('shop', 'cart-1', 200, 40);
requests.podRequest('shop', 'cart-1', 502, 7);
requests.serviceRequest('shop', 'cart', 200, 12);
const registry = nodeRegistry({
  requests,
  pods: () => [
    {
      ref: { namespace: 'shop', name: 'cart-1', uid: 'u1' },
      containers: () => [{ name: 'app', runtime: {}, id: 'c1' }],
      restarts: () => [{ container: 'app', count: 2 }],
    },
  ],
  latest: () => ({
    timestamp: new Date(0).toISOString(),
    windowSeconds: 5,
    node: { cpuNanoCores: 250_000_000, memoryBytes: 1 << 30 },
    pods: [
      {
        pod: { namespace: 'shop', name: 'cart-1', uid: 'u1' },
        containers: [{ name: 'app', cpuNanoCores: 5e7, memoryBytes: 4096 }],
      },
    ],
  }),
  wasm: {
    stats: {
      sharedExecutors: 2,
      instancesPerExecutor: [3, 1],
      isolatedPods: 0,
      stalledExecutors: 0,
      executorReplacements: 0,
      guestSeconds: 1.5,
      memoryBudget: { total: 1 << 30, reserved: 1 << 20 },
    },
    instanceCount: (id) => (id === 'c1' ? 3 : 0),
  },
});
const listeners: MetricsListener[] = [];
afterAll(async () => {
  for (const l of listeners) await l.close();
});

describe('node registry', () => {
  it('exposes per-pod and per-Service requests, latency, restarts, CPU, memory and the Wasm executors', async () => {
    const text = await registry.metrics();
    for (const line of [
      'edgeplane_pod_http_requests_total{namespace="shop",pod="cart-1",code_class="2xx"} 2',
      'edgeplane_pod_http_requests_total{namespace="shop",pod="cart-1",code_class="5xx"} 1',
      'edgeplane_pod_http_request_duration_seconds_bucket{le="0.005",namespace="shop",pod="cart-1"} 1',
      'edgeplane_pod_http_request_duration_seconds_bucket{le="0.05",namespace="shop",pod="cart-1"} 3',
      'edgeplane_pod_http_request_duration_seconds_bucket{le="+Inf",namespace="shop",pod="cart-1"} 3',
      'edgeplane_pod_http_request_duration_seconds_sum{namespace="shop",pod="cart-1"} 0.05',
      'edgeplane_pod_http_request_duration_seconds_count{namespace="shop",pod="cart-1"} 3',
      'edgeplane_service_http_requests_total{namespace="shop",service="cart",code_class="2xx"} 1',
      'edgeplane_container_restarts{namespace="shop",pod="cart-1",container="app"} 2',
      'edgeplane_container_cpu_usage_cores{namespace="shop",pod="cart-1",container="app"} 0.05',
      'edgeplane_container_memory_working_set_bytes{namespace="shop",pod="cart-1",container="app"} 4096',
      'edgeplane_node_cpu_usage_cores 0.25',
      'edgeplane_wasm_guest_seconds_total 1.5',
      'edgeplane_wasm_executors 2',
      'edgeplane_wasm_pool_instances{namespace="shop",pod="cart-1",container="app"} 3',
    ])
      expect(text.split('\n'), line).toContain(line);
    expect(text).toContain('# TYPE edgeplane_pod_http_request_duration_seconds histogram');
  });

  it('answers the hub’s metricsRequest with a frame valid on the wire', async () => {
    const res = await metricsResult(registry, { type: 'metricsRequest', requestId: 'r1' });
    expect(NodeMetricsResult.parse(res)).toEqual(res);
    expect(res.requestId).toBe('r1');
    expect(res.contentType).toMatch(/^text\/plain; version=0.0.4/);
    expect(res.body).toContain('edgeplane_pod_http_requests_total');
  });

  it('serves GET /metrics on its listener, and nothing else', async () => {
    const l = await MetricsListener.start(registry, '127.0.0.1', 0, silentLogger());
    listeners.push(l);
    const ok = await fetch(`http://127.0.0.1:${l.port}/metrics`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('edgeplane_node_memory_working_set_bytes 1073741824');
    expect((await fetch(`http://127.0.0.1:${l.port}/secrets`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${l.port}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

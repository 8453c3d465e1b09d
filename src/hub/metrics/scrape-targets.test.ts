/**
 * What Prometheus scrapes through the hub, against a real hub over ws:// and raw nodes over real
 * WebSockets: the hub's own `/metrics` (gateway frames, store writes, work queues, scheduling) and a
 * node's exposition through the node proxy path, asked over the node's session. Who may scrape them:
 * node-metrics-access.test.ts. Shared setup: testing/metrics-hub.ts.
 */
import { describe, expect, it } from 'vitest';
import type { NodeToHub } from '../../api/index.js';
import { RawNode, until } from '../gateway/testing/raw-node.js';
import { metricsHub } from './testing/metrics-hub.js';

const kit = metricsHub();
const { get, usage, createPod } = kit;

/** Has a raw node answer each metricsRequest once, with `reply`. */
function answer(n: RawNode, reply: (requestId: string) => NodeToHub): void {
  const done = new Set<string>();
  n.ws.on('message', () => {
    for (const { requestId } of n.of('metricsRequest')) {
      if (done.has(requestId)) continue;
      done.add(requestId);
      n.send(reply(requestId));
    }
  });
}

describe("the hub's /metrics", () => {
  it('counts gateway frames by type, store writes, work queues and scheduling attempts', async () => {
    const n = await RawNode.connect(kit.url, kit.joinToken, 'm-node-s');
    await createPod('sched-me', '');
    n.send(usage([]));
    const has = (text: string, re: RegExp): boolean => re.test(text);
    await until(async () => {
      const t = (await get('/metrics')).text;
      return has(t, /scheduler_schedule_attempts_total\{result="scheduled"\} [1-9]/) && has(t, /type="usage"/);
    }, 'a scheduling attempt and a usage frame counted');
    const text = (await get('/metrics')).text;
    expect(text).toMatch(/edgeplane_gateway_frames_total\{direction="in",type="hello"\} [1-9]/);
    expect(text).toMatch(/edgeplane_gateway_frames_total\{direction="out",type="welcome"\} [1-9]/);
    expect(text).toMatch(/edgeplane_gateway_frame_bytes_total\{direction="in",type="usage"\} [1-9]/);
    expect(text).toMatch(/edgeplane_gateway_frames_total\{direction="out",type="serviceSet"\} [1-9]/);
    expect(text).not.toMatch(/direction="out",type="other"/);
    expect(text).toMatch(/etcd_request_duration_seconds_count\{operation="create",type="pods"\} [1-9]/);
    expect(text).toMatch(/workqueue_adds_total\{name="scheduler"\} [1-9]/);
    expect(text).toMatch(/workqueue_depth\{name="scheduler"\} \d/);
    expect(text).toMatch(/workqueue_work_duration_seconds_count\{name="scheduler"\} [1-9]/);
    expect(text).toMatch(/scheduler_scheduling_attempt_duration_seconds_count\{result="scheduled"\} [1-9]/);
    expect(text).toMatch(/^edgeplane_connected_nodes [1-9]/m);
    await n.close();
  });
});

describe('the node metrics proxy', () => {
  it("answers with the node's exposition, asked over its session", async () => {
    const n = await RawNode.connect(kit.url, kit.joinToken, 'm-node-p');
    n.ws.on('message', () => {
      for (const req of n.of('metricsRequest').splice(0))
        n.send({
          type: 'metricsResult',
          requestId: req.requestId,
          body: 'edge_node_up 1\n',
          contentType: 'text/plain; version=0.0.4',
        });
    });
    const res = await get('/api/v1/nodes/m-node-p/proxy/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toBe('edge_node_up 1\n');
    await n.close();
  });

  it('is 503 naming the node when it is not connected, 404 for a node that does not exist and other paths', async () => {
    const n = await RawNode.connect(kit.url, kit.joinToken, 'm-node-gone');
    await n.close(); // registered, then disconnected
    await until(async () => (await get('/api/v1/nodes/m-node-gone/proxy/metrics')).status === 503, 'm-node-gone gone');
    const res = await get('/api/v1/nodes/m-node-gone/proxy/metrics');
    expect(res.text).toContain('node m-node-gone is not connected');
    const missing = await get('/api/v1/nodes/nowhere/proxy/metrics');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('nodes \\"nowhere\\" not found');
    expect((await get('/api/v1/nodes/nowhere/proxy/configz')).status).toBe(404);
  });

  it("is 503 with the node's reason when it cannot serve them", async () => {
    const n = await RawNode.connect(kit.url, kit.joinToken, 'm-node-e');
    answer(n, (requestId) => ({ type: 'metricsResult', requestId, error: 'metrics are disabled' }));
    const res = await get('/api/v1/nodes/m-node-e/proxy/metrics');
    expect(res.status).toBe(503);
    expect(res.text).toContain('metrics are disabled');
    await n.close();
  });
});

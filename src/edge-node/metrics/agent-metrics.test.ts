/**
 * The agent's metrics over a real session (the fake hub speaks the current protocol): `usage`
 * frames every interval, each valid on the wire, and the answer to a `metricsRequest`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeToHub } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { Agent } from '../agent.js';
import { FakeHub, testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';

let dir: string;
let hub: FakeHub;
let agent: Agent | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-metrics-'));
  hub = await FakeHub.start();
});

afterEach(async () => {
  await agent?.stop();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('agent metrics', () => {
  it('sends usage frames every interval and answers the hub’s metricsRequest', async () => {
    hub.pods.set('node-a', [testPod('web')]);
    agent = await Agent.create({
      hubUrl: hub.url,
      token: hub.token,
      nodeName: 'node-a',
      address: '127.0.0.1',
      meshPort: 0,
      dataDir: dir,
      labels: {},
      runtimes: [new FakeRuntime()],
      logger: silentLogger(),
      metrics: { intervalMs: 200 },
    });
    await agent.start();
    await waitFor(() => hub.messages('usage').length >= 3, 10_000, 'three usage frames');
    for (const frame of hub.messages('usage')) {
      expect(NodeToHub.parse(frame)).toEqual(frame);
      expect(frame.windowSeconds).toBeGreaterThan(0.1);
      expect(frame.windowSeconds).toBeLessThan(5);
      expect(frame.node.memoryBytes).toBeGreaterThan(0);
    }
    hub.send('node-a', { type: 'metricsRequest', requestId: 'm-1' });
    const result = await waitFor(() => hub.messages('metricsResult')[0], 5000, 'metricsResult');
    expect(result.requestId).toBe('m-1');
    expect(result.error).toBeUndefined();
    expect(result.body).toContain('# TYPE edgeplane_pod_http_requests_total counter');
    expect(result.body).toContain('edgeplane_container_restarts{namespace="default",pod="web",container="main"} 0');
  });
});

/**
 * The agent's metrics over a real session (the fake hub speaks the current protocol): `usage`
 * frames every interval, each valid on the wire, and the answer to a `metricsRequest`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeToHub } from '../../api/index.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { AgentRig } from '../testing/test-agents.js';

let rig: AgentRig;

beforeEach(async () => {
  rig = await AgentRig.start('edge-node-metrics-');
});

afterEach(async () => {
  await rig.stop();
});

describe('agent metrics', () => {
  it('sends usage frames every interval and answers the hub’s metricsRequest', async () => {
    const { hub } = rig;
    hub.pods.set('node-a', [testPod('web')]);
    await rig.startAgent({ runtimes: [new FakeRuntime()], metrics: { intervalMs: 200 } });
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

import { describe, expect, it } from 'vitest';
import type { HubToNode } from '../../api/index.js';
import { NodeMetricsProxy, type MetricsSession } from './node-metrics-proxy.js';

/** A session that records what the hub sends it. */
function session(protocol = 3): MetricsSession & { sent: HubToNode[] } {
  const sent: HubToNode[] = [];
  return { protocol, open: true, sent, send: (m) => void sent.push(m) };
}

const idOf = (m: HubToNode | undefined): string => (m?.type === 'metricsRequest' ? m.requestId : '');

describe('NodeMetricsProxy', () => {
  it('bounds the requests in flight per node, and frees a slot when one is answered', async () => {
    const s = session();
    const proxy = new NodeMetricsProxy({ sessionOf: () => s, maxPerNode: 2 });
    const first = proxy.fetch('n1');
    const second = proxy.fetch('n1');
    await expect(proxy.fetch('n1')).rejects.toMatchObject({ code: 'TooManyRequests', httpStatus: 429 });
    // Another node's answer to n1's request is not taken.
    proxy.result('n2', { type: 'metricsResult', requestId: idOf(s.sent[0]), body: 'forged 1\n' });
    proxy.result('n1', { type: 'metricsResult', requestId: idOf(s.sent[0]), body: 'a 1\n' });
    const answered = await first;
    expect(answered.body).toBe('a 1\n');
    expect(answered.contentType).toMatch(/^text\/plain/);
    const third = proxy.fetch('n1');
    proxy.disconnected('n1');
    await expect(second).rejects.toThrow('node n1 disconnected before answering the metrics request');
    await expect(third).rejects.toMatchObject({ httpStatus: 503 });
  });

  it('times out a node that does not answer, and refuses an old protocol or a missing session', async () => {
    const proxy = new NodeMetricsProxy({ sessionOf: () => session(), timeoutMs: 20 });
    await expect(proxy.fetch('slow')).rejects.toMatchObject({ httpStatus: 504 });
    await expect(proxy.fetch('slow')).rejects.toThrow('node slow did not answer the metrics request within 0 s');
    const old = new NodeMetricsProxy({ sessionOf: () => session(2) });
    await expect(old.fetch('n')).rejects.toThrow(/protocol 2; serving its metrics needs protocol 3/);
    const none = new NodeMetricsProxy({ sessionOf: () => undefined });
    await expect(none.fetch('gone')).rejects.toThrow('node gone is not connected to the hub');
  });
});

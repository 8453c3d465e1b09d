/**
 * Upgrade skew on pods, through a real hub to raw nodes: a protocol-5 node gets its pods without
 * `spec.dnsPolicy` (its agent's strict schema refused the field, and with it the whole set), a
 * protocol-6 node with it, in the welcome's `podSync` and in later upserts alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import { RawNode, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;

const pod = (name: string, nodeName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName, dnsPolicy: 'ClusterFirst', containers: [{ name: 'c', image: 'x.wasm' }] },
});

/** `dnsPolicy` of every pod `node` was sent, by pod name, from its `podSync`s and `podUpsert`s. */
function policies(node: RawNode): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const s of node.of('podSync')) for (const p of s.pods) out[p.metadata.name!] = p.spec.dnsPolicy ?? 'absent';
  for (const u of node.of('podUpsert')) out[u.pod.metadata.name!] = u.pod.spec.dnsPolicy ?? 'absent';
  return out;
}

describe('pods for older agents', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startGatewayHub();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('leaves spec.dnsPolicy out for a protocol-5 node, and keeps it for a protocol-6 node', async () => {
    await t.hub.api.create(POD, pod('early-5', 'old'));
    await t.hub.api.create(POD, pod('early-6', 'new'));
    const old = await RawNode.connect(t.url, t.token, 'old', { protocol: 5 });
    const cur = await RawNode.connect(t.url, t.token, 'new');
    await until(() => policies(old)['early-5'] !== undefined && policies(cur)['early-6'] !== undefined, 'the pod sets');
    await t.hub.api.create(POD, pod('late-5', 'old'));
    await t.hub.api.create(POD, pod('late-6', 'new'));
    await until(() => policies(old)['late-5'] !== undefined && policies(cur)['late-6'] !== undefined, 'the upserts');
    expect(policies(old)).toEqual({ 'early-5': 'absent', 'late-5': 'absent' });
    expect(policies(cur)).toEqual({ 'early-6': 'ClusterFirst', 'late-6': 'ClusterFirst' });
    for (const n of [old, cur]) await n.close();
  });
});

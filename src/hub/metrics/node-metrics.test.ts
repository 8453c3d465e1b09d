/**
 * The hub's usage intake and `metrics.k8s.io`, end to end inside one process: a real hub over ws://,
 * raw nodes speaking protocol 3 over real WebSockets sending `usage` frames, read back as
 * PodMetrics and NodeMetrics (selectors, discovery, what is refused). Who may read them:
 * node-metrics-access.test.ts. Shared setup: testing/metrics-hub.ts.
 */
import { describe, expect, it } from 'vitest';
import { RawNode, until } from '../gateway/testing/raw-node.js';
import { M, POD, metricsHub } from './testing/metrics-hub.js';

const kit = metricsHub();
const { get, usage, createPod } = kit;

describe('usage intake and metrics.k8s.io', () => {
  it('serves the usage a node reports for its own pods, as metrics-server does', async () => {
    const n1 = await RawNode.connect(kit.url, kit.joinToken, 'm-node-1');
    await createPod('web-1', 'm-node-1', { app: 'web' });
    await createPod('db-1', 'm-node-1', { app: 'db' });
    n1.send(
      usage([
        { name: 'web-1', cpu: 250_000_000, mem: 3 * 1024 * 1024, requests: 50 },
        { name: 'db-1', cpu: 1_234_567, mem: 1000 },
      ]),
    );
    await until(
      async () => ((await get(`${M}/pods`)).body as { items?: unknown[] }).items?.length === 2,
      'two PodMetrics',
    );

    const web = await get(`${M}/namespaces/default/pods/web-1`);
    expect(web.status).toBe(200);
    expect(web.body).toMatchObject({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
      timestamp: '2026-12-02T15:00:05Z',
      window: '5s',
      containers: [{ name: 'c', usage: { cpu: '250m', memory: '3Mi' } }],
    });
    const db = await get(`${M}/namespaces/default/pods/db-1`);
    expect(db.body).toMatchObject({ containers: [{ usage: { cpu: '1234567n', memory: '1000' } }] });

    const selected = await get(`${M}/namespaces/default/pods?labelSelector=app%3Dweb`);
    expect(
      (selected.body as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name),
    ).toEqual(['web-1']);
    const byField = await get(`${M}/pods?fieldSelector=metadata.name%3Ddb-1`);
    expect(
      (byField.body as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name),
    ).toEqual(['db-1']);
    const otherNs = await get(`${M}/namespaces/kube-system/pods`);
    expect(otherNs.body).toMatchObject({ kind: 'PodMetricsList', items: [] });

    const node = await get(`${M}/nodes/m-node-1`);
    expect(node.body).toMatchObject({ kind: 'NodeMetrics', usage: { cpu: '1500m', memory: '512Mi' }, window: '5s' });
    const nodes = await get(`${M}/nodes`);
    expect(nodes.body).toMatchObject({ kind: 'NodeMetricsList', items: [{ metadata: { name: 'm-node-1' } }] });

    // A deleted pod's metrics go with it.
    await kit.hub.api.delete(POD, 'default', 'db-1', { gracePeriodSeconds: 0 });
    await until(async () => (await get(`${M}/namespaces/default/pods/db-1`)).status === 404, 'db-1 gone');
    const missing = await get(`${M}/namespaces/default/pods/db-1`);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'podmetrics.metrics.k8s.io "default/db-1" not found',
    });
    await n1.close();
  });

  it("ignores a node's usage for pods bound elsewhere, and unknown pods", async () => {
    const a = await RawNode.connect(kit.url, kit.joinToken, 'm-node-a');
    const b = await RawNode.connect(kit.url, kit.joinToken, 'm-node-b');
    await createPod('on-a', 'm-node-a');
    b.send(
      usage([
        { name: 'on-a', cpu: 9, mem: 9 },
        { name: 'ghost', uid: 'u-ghost', cpu: 1, mem: 1 },
      ]),
    );
    a.send(usage([{ name: 'on-a', cpu: 7_000, mem: 2048 }]));
    await until(async () => (await get(`${M}/namespaces/default/pods/on-a`)).status === 200, 'on-a metrics');
    // b's frame came first and was ignored: the sample is a's.
    expect((await get(`${M}/namespaces/default/pods/on-a`)).body).toMatchObject({
      containers: [{ usage: { cpu: '7u', memory: '2Ki' } }],
    });
    b.send(usage([{ name: 'on-a', cpu: 9, mem: 9 }]));
    // The refusal is counted on the hub's /metrics; the sample stays a's.
    await until(
      async () => /edgeplane_usage_refused_pods_total [1-9]/.test((await get('/metrics')).text),
      'the refusals counted',
    );
    expect((await get(`${M}/namespaces/default/pods/on-a`)).body).toMatchObject({
      containers: [{ usage: { cpu: '7u' } }],
    });
    await a.close();
    await b.close();
  });

  it('refuses metrics frames on a protocol 2 session', async () => {
    const old = await RawNode.connect(kit.url, kit.joinToken, 'm-node-old', { protocol: 2 });
    old.send(usage([]));
    await until(() => old.of('error').length > 0, 'the error frame');
    expect(old.of('error')[0]!.message).toMatch(/protocol 3 frame; this session speaks protocol 2/);
    await old.close();
  });

  it('lists the group in discovery', async () => {
    const groups = (await get('/apis')).body as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toContain('metrics.k8s.io');
    expect((await get(M)).body).toMatchObject({
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [
        { name: 'nodes', kind: 'NodeMetrics', namespaced: false },
        { name: 'pods', kind: 'PodMetrics', namespaced: true },
      ],
    });
  });

  it('refuses a bad selector and a watch, naming them', async () => {
    const bad = await get(`${M}/pods?fieldSelector=spec.bogus%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('spec.bogus');
    expect((await get(`${M}/pods?watch=true`)).status).toBe(405);
  });
});

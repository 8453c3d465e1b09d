/**
 * The hub's metrics intake end to end inside one process: a real hub over ws://, raw nodes speaking
 * protocol 3 over real WebSockets, read back through `metrics.k8s.io` and the node proxy path.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { NodeToHub, NodeUsage, Pod } from '../../api/index.js';
import { Hub } from '../hub.js';
import { RawNode, until } from '../gateway/testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;
const M = '/apis/metrics.k8s.io/v1beta1';
const VIEWER = 'viewer-token-0123456789abcdef';
/** A user bound to metrics-server's reader role only, and one bound to the scrape role of docs/metrics.md. */
const METRICS_READER = 'metrics-reader-token-0123456789';
const SCRAPER = 'prometheus-token-0123456789abcd';

let dir: string;
let hub: Hub;
let url: string;
let joinToken: string;
const uids = new Map<string, string>();

async function get(p: string, token = hub.auth.adminToken): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

async function post(p: string, body: unknown, token = hub.auth.adminToken): Promise<{ status: number; text: string }> {
  const res = await fetch(url + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

function usage(
  pods: Array<{ name: string; ns?: string; uid?: string; cpu: number; mem: number; requests?: number }>,
): NodeUsage {
  return {
    type: 'usage',
    timestamp: '2026-12-02T15:00:05Z',
    windowSeconds: 5,
    node: { cpuNanoCores: 1_500_000_000, memoryBytes: 512 * 1024 * 1024 },
    pods: pods.map((p) => ({
      pod: { namespace: p.ns ?? 'default', name: p.name, uid: p.uid ?? uids.get(p.name) ?? 'none' },
      containers: [{ name: 'c', cpuNanoCores: p.cpu, memoryBytes: p.mem }],
      ...(p.requests !== undefined
        ? { http: { requests: p.requests, errors4xx: 0, errors5xx: 1, latencyMsSum: p.requests * 2 } }
        : {}),
    })),
  };
}

/** Creates a pod bound to `node` (unbound, for the scheduler, when '') and remembers its uid. */
async function createPod(name: string, node: string, labels: Record<string, string> = {}): Promise<void> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'x.wasm' }] },
  };
  const made = await hub.api.create<Pod>(POD, pod);
  uids.set(name, made.metadata.uid ?? '');
}

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

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'node-metrics-'));
  await writeFile(
    path.join(dir, 'tokens.json'),
    JSON.stringify({
      users: [
        { name: 'viewer', token: VIEWER, role: 'read-only' },
        { name: 'metrics-reader', token: METRICS_READER, groups: ['metrics-readers'] },
        { name: 'prometheus', token: SCRAPER, groups: ['scrapers'] },
      ],
    }),
    { mode: 0o600 },
  );
  hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    logger: pino({ level: 'silent' }),
  });
  url = (await hub.start()).url;
  joinToken = hub.auth.joinToken;
});

afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('usage intake and metrics.k8s.io', () => {
  it('serves the usage a node reports for its own pods, as metrics-server does', async () => {
    const n1 = await RawNode.connect(url, joinToken, 'm-node-1');
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
    await hub.api.delete(POD, 'default', 'db-1', { gracePeriodSeconds: 0 });
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
    const a = await RawNode.connect(url, joinToken, 'm-node-a');
    const b = await RawNode.connect(url, joinToken, 'm-node-b');
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
    const old = await RawNode.connect(url, joinToken, 'm-node-old', { protocol: 2 });
    old.send(usage([]));
    await until(() => old.of('error').length > 0, 'the error frame');
    expect(old.of('error')[0]!.message).toMatch(/protocol 3 frame; this session speaks protocol 2/);
    await old.close();
  });

  it('lets view read metrics (the aggregated-metrics-reader rule) but not proxy to nodes', async () => {
    expect((await get(`${M}/pods`, VIEWER)).status).toBe(200);
    expect((await get(`${M}/nodes`, VIEWER)).status).toBe(200);
    const denied = await get('/api/v1/nodes/m-node-1/proxy/metrics', VIEWER);
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('nodes/proxy');
    const reader = await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregated-metrics-reader');
    expect(reader.body).toMatchObject({
      metadata: { labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'] }],
    });
  });

  it("gives metrics-server's reader role (system:aggregated-metrics-reader) metrics.k8s.io reads and nothing else", async () => {
    await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:aggregated-metrics-reader' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'metrics-reader' }],
    });
    // RBAC takes the binding from its informer: poll until it is in force.
    await until(async () => (await get(`${M}/pods`, METRICS_READER)).status === 200, 'the binding in force');
    for (const p of [`${M}/pods`, `${M}/nodes`, `${M}/namespaces/default/pods`]) {
      expect((await get(p, METRICS_READER)).status, p).toBe(200);
    }
    for (const p of [
      '/api/v1/pods',
      '/api/v1/nodes',
      '/api/v1/namespaces/default/secrets',
      '/api/v1/nodes/m-node-1/proxy/metrics',
      '/metrics',
    ]) {
      expect((await get(p, METRICS_READER)).status, p).toBe(403);
    }
    expect((await post(`${M}/namespaces/default/pods`, {}, METRICS_READER)).status).toBe(403);
  });

  it('gives the scrape role of docs/metrics.md the hub /metrics and node proxy, and nothing else', async () => {
    await post('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'prometheus' },
      rules: [
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes', 'nodes/proxy'], verbs: ['get', 'list'] },
      ],
    });
    await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'prometheus' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prometheus' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'prometheus' }],
    });
    await until(async () => (await get('/metrics', SCRAPER)).status === 200, 'the binding in force');
    expect((await get('/api/v1/nodes', SCRAPER)).status).toBe(200);
    // Allowed through: the node is known but not connected now (503), not refused (403).
    expect((await get('/api/v1/nodes/m-node-1/proxy/metrics', SCRAPER)).status).toBe(503);
    for (const p of [
      '/api/v1/pods',
      '/api/v1/namespaces/default/secrets',
      `${M}/pods`,
      '/api/v1/nodes/m-node-1/proxy/configz',
    ]) {
      expect((await get(p, SCRAPER)).status, p).toBe(p.endsWith('configz') ? 404 : 403);
    }
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

describe("the hub's /metrics", () => {
  it('counts gateway frames by type, store writes, work queues and scheduling attempts', async () => {
    const n = await RawNode.connect(url, joinToken, 'm-node-s');
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
    const n = await RawNode.connect(url, joinToken, 'm-node-p');
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
    const n = await RawNode.connect(url, joinToken, 'm-node-gone');
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
    const n = await RawNode.connect(url, joinToken, 'm-node-e');
    answer(n, (requestId) => ({ type: 'metricsResult', requestId, error: 'metrics are disabled' }));
    const res = await get('/api/v1/nodes/m-node-e/proxy/metrics');
    expect(res.status).toBe(503);
    expect(res.text).toContain('metrics are disabled');
    await n.close();
  });
});

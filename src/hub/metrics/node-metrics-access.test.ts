/**
 * Who may read the hub's metrics, against a real hub over ws:// with users from `tokens.json`: the
 * built-in view role reads `metrics.k8s.io` but does not proxy to nodes, metrics-server's reader role
 * reads `metrics.k8s.io` and nothing else, and the scrape role of docs/metrics.md reads the hub's
 * `/metrics` and the node proxy and nothing else. Shared setup: testing/metrics-hub.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RawNode, until } from '../gateway/testing/raw-node.js';
import { M, METRICS_READER, SCRAPER, VIEWER, metricsHub } from './testing/metrics-hub.js';

const kit = metricsHub();
const { get, post } = kit;

// The scrape role's node proxy read needs a node the hub knows but that is not connected now.
beforeAll(async () => {
  const n = await RawNode.connect(kit.url, kit.joinToken, 'm-node-1');
  await n.close();
  await until(async () => (await get('/api/v1/nodes/m-node-1/proxy/metrics')).status === 503, 'm-node-1 gone');
});

describe('usage intake and metrics.k8s.io', () => {
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
});

/**
 * A hub on a real three-member etcd (Debian's etcd 3.4, started here on 127.0.53.11-13) with a real
 * node (127.0.53.21): objects live in etcd and their resourceVersion is etcd's revision; a Deployment
 * rolls out to Ready; kill -9 of the etcd member the hub talks to, in the middle of a stream of
 * writes, stops nothing and loses no acknowledged write; a watch from a revision etcd compacted is
 * served from the hub's watch cache while the cache holds it, and gets 410 from before the cache.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/api/index.js';
import { EtcdStore } from '../src/hub/store/index.js';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { silentLogger } from '../src/platform/index.js';
import { Cluster, ROOT, httpGet, kind, until } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const NODE = { name: 'etcd-a', address: '127.0.53.21' };
const PREFIX = '/e2e-hub';
const NODE_PORT = 30153;
const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');

describe('a hub on a three-member etcd', () => {
  let etcd: EtcdTestCluster;
  let cluster: Cluster;
  /** The test's own view of etcd, beside the hub's (same prefix). */
  let direct: EtcdStore;

  beforeAll(async () => {
    etcd = await EtcdTestCluster.start(['127.0.53.11', '127.0.53.12', '127.0.53.13']);
    cluster = new Cluster([
      '--heartbeat-interval',
      '1s',
      '--store',
      'etcd',
      '--etcd-endpoints',
      etcd.endpoints.join(','),
      '--etcd-prefix',
      PREFIX,
    ]);
    direct = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: PREFIX, logger: silentLogger() });
    await cluster.start([NODE]);
    const r = await cluster.edgectl(
      ['apply', '-f', '-'],
      wasmServiceManifest({ name: 'web', image: V1, replicas: 2, nodePort: NODE_PORT }),
    );
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await direct?.close();
    await etcd?.stop();
  });

  it('keeps objects in etcd with etcd revisions as resourceVersions, and rolls a Deployment out to Ready', async () => {
    const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '90s']);
    expect(status.code, status.stderr).toBe(0);
    const url = `http://${NODE.address}:${NODE_PORT}/`;
    await until(`NodePort ${url}`, async () => (await httpGet(url)).status === 200, 15_000);
    const dep = await cluster.client.get(kind('deployments'), 'default', 'web');
    const stored = await direct.get('/registry/deployments/default/web');
    expect(stored).toBeDefined();
    expect(dep.metadata.resourceVersion).toBe(String(stored!.modRevision));
    const pods = await direct.list('/registry/pods/default/');
    expect(pods.items.length).toBeGreaterThanOrEqual(2);
    // The cluster-wide counter is etcd's: a list's resourceVersion is at least the newest object's.
    const list = await cluster.client.list(kind('pods'), { namespace: 'default' });
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Math.max(...pods.items.map((p) => p.modRevision)),
    );
  });

  it('loses no acknowledged write and stops nothing when the etcd member the hub uses is killed -9', async () => {
    const acked: string[] = [];
    const failed: string[] = [];
    let n = 0;
    let writing = true;
    const writer = async (): Promise<void> => {
      while (writing) {
        const name = `cm-${n++}`;
        try {
          await cluster.client.create(kind('configmaps'), {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: 'default' },
            data: { n: name },
          });
          acked.push(name);
        } catch (err) {
          failed.push(`${name}: ${(err as Error).message}`);
        }
      }
    };
    const writers = [writer(), writer(), writer()];
    await until('writes before the kill', () => acked.length >= 30, 30_000, 20);
    // The hub's calls go to the first endpoint until it fails: that member is the one to kill.
    await etcd.kill(0);
    const atKill = acked.length;
    await until('writes after the kill', () => acked.length >= atKill + 60, 60_000, 20);
    // Controllers still work with a member down: scaling the Deployment rolls out.
    const scale = await cluster.edgectl(['scale', 'deployment/web', '--replicas', '3']);
    expect(scale.code, scale.stderr).toBe(0);
    const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '90s']);
    expect(status.code, status.stderr).toBe(0);
    writing = false;
    await Promise.all(writers);
    console.log(
      `etcd member kill: ${acked.length} writes acknowledged (${atKill} before the kill), ${failed.length} failed`,
    );
    expect(failed).toEqual([]);
    const names = new Set(
      (await cluster.client.list(kind('configmaps'), { namespace: 'default' })).items.map((c) => c.metadata.name),
    );
    expect(acked.filter((a) => !names.has(a))).toEqual([]);
    // And every one of them is in etcd itself, read on the surviving members.
    const inEtcd = new Set(
      (await direct.list('/registry/configmaps/default/')).items.map((i) => i.key.split('/').pop()),
    );
    expect(acked.filter((a) => !inEtcd.has(a))).toEqual([]);
    await etcd.restart(0);
  }, 180_000);

  it("serves a watch from its watch cache past an etcd compaction, and answers 410 Gone from before the cache's window", async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } } as KubeObject;
    await cluster.client.create(kind('namespaces'), ns);
    // A read loads the hub's watch cache of ConfigMaps (if its controllers have not already): what
    // follows is in the cache's window.
    await cluster.client.list(kind('configmaps'), { namespace: 'gone' });
    const configMap = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'gone' },
    });
    const first = await cluster.client.create(kind('configmaps'), configMap('old'));
    const old = Number(first.metadata.resourceVersion);
    for (let i = 0; i < 3; i++) await cluster.client.create(kind('configmaps'), configMap(`new-${i}`));
    await direct.compact(await direct.revision());
    const auth = { headers: { authorization: `Bearer ${cluster.adminToken}` } };
    const path = '/api/v1/namespaces/gone/configmaps?watch=true&resourceVersion=';

    // As Kubernetes' watch cache does, the hub serves a revision it still holds, whatever etcd compacted.
    const ctl = new AbortController();
    const cached = await cluster.hubFetch(`${path}${old}`, { ...auth, signal: ctl.signal });
    expect(cached.status).toBe(200);
    const reader = cached.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    let text = '';
    const names = (): string[] =>
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (JSON.parse(l) as { type: string; object: KubeObject }).object.metadata.name ?? '');
    await until('the three later ConfigMaps replayed', async () => {
      const { value, done } = await reader.read();
      if (value) text += new TextDecoder().decode(value);
      if (done) throw new Error(`watch ended early: ${text}`);
      return text.endsWith('\n') && names().length >= 3;
    });
    expect(names()).toEqual(['new-0', 'new-1', 'new-2']);
    ctl.abort();

    // Before anything the cache holds, the hub asks etcd, which has compacted it: 410 Gone.
    const gone = await cluster.hubFetch(`${path}1`, auth);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ kind: 'Status', reason: 'Gone', code: 410 });
    // A list then a watch from its resourceVersion works again.
    const list = await cluster.client.list(kind('configmaps'), { namespace: 'gone' });
    expect(list.items).toHaveLength(4);
    const ctl2 = new AbortController();
    const again = await cluster.hubFetch(`${path}${list.metadata.resourceVersion}`, { ...auth, signal: ctl2.signal });
    expect(again.status).toBe(200);
    ctl2.abort();
  });
});

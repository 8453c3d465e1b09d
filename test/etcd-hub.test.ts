/**
 * A hub on a real three-member etcd (Debian's etcd 3.4, started here on 127.0.53.11-13) with a real
 * node (127.0.53.21): objects live in etcd and their resourceVersion is etcd's revision; a Deployment
 * rolls out to Ready; kill -9 of the etcd member the hub talks to, in the middle of a stream of
 * writes, stops nothing and loses no acknowledged write; a watch from a revision etcd compacted is
 * served from the hub's watch cache while the cache holds it, and gets 410 from before the cache.
 *
 * Then a second hub (127.0.55.1) on the same etcd (issue 19): one leader runs the controllers; a
 * graceful stop of the leader hands over at once; a Deployment created through the follower (the hub
 * the node is connected to) is rolled out by the leader, and the node stays Ready although its
 * heartbeats reach only the follower; kill -9 of the leader in the middle of a rolling update of it,
 * under NodePort load: the other hub leads within the lease and completes the rollout (one new
 * ReplicaSet, no pod created twice), no request fails, and the node keeps its other pods.
 *
 * Then nodes that fail over (issue 19): a second node (127.0.64.21) started with the address of a
 * third hub only (127.0.64.1, a follower) joins through it and learns the leader's address from it (the
 * hubs' list, protocol 7); kill -9 of that hub: the node is on the leader within seconds, its pods keep
 * their uids, its NodePort answers every request throughout, and `edgectl logs`/`exec` reach its pod
 * through the hub it is now on; then the node, killed -9 and restarted with that dead hub as its only
 * --server, reaches the leader through the hubs it learned (kept in its data dir) and runs its pod again.
 *
 * Last, three hubs up at once (A and two followers on B's and C's data dirs), all three killed -9 and
 * restarted: the node reconnects with its pods, its NodePorts answer throughout, and exactly one of the
 * restarted hubs leads and reconciles a new change.
 */
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, KubeObject, Node, Pod } from '../src/api/index.js';
import { EtcdStore } from '../src/hub/store/index.js';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { silentLogger } from '../src/platform/index.js';
import { Cluster, Proc, ROOT, freePort, httpGet, kind, runLoad, until, type LoadSample } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const NODE = { name: 'etcd-a', address: '127.0.53.21' };
const PREFIX = '/e2e-hub';
const NODE_PORT = 30153;
const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const DEMO = join(ROOT, 'examples/wasm-apps/probe-demo/dist/probe-demo.wasm');
/** Short leader-election timings (lease 4 s): failovers in seconds, not the default 15 s. */
const LEADER_FLAGS = [
  '--leader-elect-lease-duration',
  '4s',
  '--leader-elect-renew-deadline',
  '3s',
  '--leader-elect-retry-period',
  '1s',
];

/**
 * NodePort requests one at a time, 25 ms apart (about 40 a second), into `out` (status 0: no answer
 * within 5 s): enough to catch any gap in service, without a request flood slowing the hubs on a
 * shared machine.
 */
async function pacedLoad(urls: readonly string[], stop: () => boolean, out: LoadSample[]): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const t0 = Date.now();
    const status = await httpGet(urls[i % urls.length]!).then(
      (r) => r.status,
      () => 0,
    );
    out.push({ t0, t1: Date.now(), status });
    await new Promise((r) => setTimeout(r, 25));
  }
}

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
      ...LEADER_FLAGS,
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

  it('runs the controllers on one of two hubs, and fails over to the other on a stop and on kill -9 of the leader', async () => {
    const started = Date.now();
    const auth = { authorization: `Bearer ${cluster.adminToken}` };
    // Hub B shares hub A's CA, tokens, keyring and mesh token (copied, as an operator would), not its lock.
    const dirB = join(cluster.dir, 'hub-b');
    cpSync(cluster.hubDir, dirB, {
      recursive: true,
      filter: (src) => !['.edgeplane.lock', 'state.db', 'state.db-wal', 'state.db-shm'].includes(basename(src)),
    });
    const hostB = '127.0.55.1';
    const hubArgs = (dir: string, listen: string): string[] => [
      join(ROOT, 'bin/edge-hub.js'),
      ...['--data-dir', dir, '--listen', listen, '--heartbeat-interval', '1s', '--store', 'etcd'],
      ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', PREFIX, ...LEADER_FLAGS],
    ];
    // B judges node liveness with a 2 s grace period: while it leads and the node is connected to A, the
    // node stays Ready only if A's presence record reaches B (heartbeats stay in the hub they reach).
    const hubB = new Proc(
      spawn(process.execPath, [...hubArgs(dirB, `${hostB}:${await freePort(hostB)}`), '--node-grace-period', '2s'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EDGE_LOG_LEVEL: 'warn' },
      }),
    );
    const agent = new Agent({ connect: { ca: cluster.caPem } });
    try {
      const urlB = await until(
        'hub B to print its URL',
        () => /serving (https?:\/\/\S+)/.exec(hubB.out)?.[1],
        30_000,
        50,
      );
      const get = async (base: string, path: string): Promise<string> => {
        const res = await undiciFetch(`${base}${path}`, { headers: auth, dispatcher: agent });
        return res.ok ? await res.text() : '';
      };
      const leads = async (base: string): Promise<boolean> =>
        /^edgeplane_leader_is_leader 1$/m.test(await get(base, '/metrics').catch(() => ''));

      // A, alone until now, leads; B follows and runs no controller (none of their queues exists there).
      expect(await leads(cluster.url)).toBe(true);
      await until('B to see the leader', async () => /; leader: [^(]/.test(await get(urlB, '/readyz?verbose')), 15_000);
      expect(await get(urlB, '/readyz?verbose')).toMatch(/follower; leader: /);
      expect(await leads(urlB)).toBe(false);
      expect(await get(cluster.url, '/metrics')).toMatch(/workqueue_adds_total\{name="replicaset"/);
      const metricsB = await get(urlB, '/metrics');
      expect(metricsB).not.toMatch(/workqueue_adds_total\{name="(replicaset|deployment|scheduler)/);

      // A stops cleanly (SIGTERM): it releases the lease and B leads at once; A comes back as a follower.
      // What follows needs the node on A, the follower. A node that has learned of B (A lists the hubs
      // once B's presence reaches it: sooner on a slow machine) fails over to B when A stops and stays
      // there, so the node stops before A and starts again once A is back: it dials its --server first.
      await cluster.nodes.get(NODE.name)!.proc.kill('SIGTERM');
      await cluster.hub!.kill('SIGTERM');
      await until('B to lead after A stopped', () => leads(urlB), 10_000);
      await cluster.startHub();
      await cluster.startNode(NODE);
      await until(
        'the node back on A',
        async () => /^edgeplane_connected_nodes 1$/m.test(await get(cluster.url, '/metrics')),
        30_000,
      );
      await cluster.waitNodesReady([NODE.name]);
      expect(await leads(cluster.url)).toBe(false);
      const readySince = async (): Promise<string | undefined> =>
        (await cluster.client.get<Node>(kind('nodes'), undefined, NODE.name)).status?.conditions?.find(
          (c) => c.type === 'Ready',
        )?.lastTransitionTime;
      // The node's restart may have been seen by B (2 s grace) and marked Unknown a moment later: Ready
      // is taken once it has held for longer than that grace, so what follows judges B's leading only.
      let readyAt = await readySince();
      for (let stableSince = Date.now(); Date.now() - stableSince < 5_000;) {
        await new Promise((r) => setTimeout(r, 250));
        const now = await readySince();
        const ready = (await cluster.client.get<Node>(kind('nodes'), undefined, NODE.name)).status?.conditions?.find(
          (c) => c.type === 'Ready',
        )?.status;
        if (now !== readyAt || ready !== 'True') [readyAt, stableSince] = [now, Date.now()];
      }
      const onFollowerSince = Date.now();
      const webBefore = new Map(
        (await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=web' })).items.map(
          (p) => [p.metadata.name, p.metadata.uid],
        ),
      );

      // Created through A, the follower the node is connected to; B's controllers roll it out, A delivers.
      const haManifest = (image: string): string =>
        wasmServiceManifest({
          name: 'ha',
          image,
          replicas: 2,
          nodePort: NODE_PORT + 1,
          // Each new pod counts as available 1 s after it is Ready: the rolling update below lasts a few
          // seconds, long enough to kill its leader in the middle of it.
          deployment: { minReadySeconds: 1 },
        });
      const apply = await cluster.edgectl(['apply', '-f', '-'], haManifest(V1));
      expect(apply.code, apply.stderr).toBe(0);
      const rollout = await cluster.edgectl(['rollout', 'status', 'deployment/ha', '--timeout', '60s']);
      expect(rollout.code, rollout.stderr).toBe(0);
      const haUrl = `http://${NODE.address}:${NODE_PORT + 1}/`;
      await until(`NodePort ${haUrl}`, async () => (await httpGet(haUrl)).status === 200, 15_000);
      const ha = { namespace: 'default', labelSelector: 'app=ha' };
      const replicaSets = async (): Promise<KubeObject[]> => (await cluster.client.list(kind('replicasets'), ha)).items;
      expect(await replicaSets()).toHaveLength(1);
      const oldPods = (await cluster.client.list<Pod>(kind('pods'), ha)).items;
      // Every pod the rollout creates, from a watch on A (which lives throughout): nothing may be created twice.
      const watchCtl = new AbortController();
      const created = new Set<string>();
      const watchRes = await cluster.hubFetch(
        `/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dha&resourceVersion=${(await cluster.client.list(kind('pods'), ha)).metadata.resourceVersion}`,
        { headers: auth, signal: watchCtl.signal },
      );
      expect(watchRes.status).toBe(200);
      const watching = (async () => {
        const reader = watchRes.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
        const decoder = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const frame = JSON.parse(buf.slice(0, nl)) as { type: string; object: KubeObject };
            buf = buf.slice(nl + 1);
            if (frame.type === 'ADDED') created.add(frame.object.metadata.name ?? '');
          }
        }
      })().catch(() => undefined);

      // A rolling update under NodePort load; kill -9 of its leader B once the new ReplicaSet has a pod.
      const samples: LoadSample[] = [];
      let loading = true;
      const load = pacedLoad([haUrl], () => !loading, samples);
      await until('requests before the update', () => samples.length >= 10, 10_000, 20);
      const update = await cluster.edgectl(['apply', '-f', '-'], haManifest(DEMO));
      expect(update.code, update.stderr).toBe(0);
      await until('the rollout under way (a new pod)', () => created.size >= 1, 20_000, 20);
      const inFlight = (await cluster.client.get<Deployment>(kind('deployments'), 'default', 'ha')).status;
      const killedAt = Date.now();
      const onFollowerMs = killedAt - onFollowerSince;
      await hubB.kill('SIGKILL');
      await until('A to lead after B was killed', () => leads(cluster.url), 15_000, 100);
      const failoverMs = Date.now() - killedAt;
      const rollout2 = await cluster.edgectl(['rollout', 'status', 'deployment/ha', '--timeout', '60s']);
      expect(rollout2.code, rollout2.stderr).toBe(0);
      const reconciledMs = Date.now() - killedAt;
      const atDone = samples.length;
      await until('requests after the rollout', () => samples.length >= atDone + 10, 10_000, 20);
      loading = false;
      await load;
      watchCtl.abort();
      await watching;
      expect(samples.filter((s) => s.status !== 200)).toEqual([]);

      // Nothing done twice: one new ReplicaSet, exactly two new pods (no pod created again), the old gone.
      expect(await replicaSets()).toHaveLength(2);
      const podsAfter = (await cluster.client.list<Pod>(kind('pods'), ha)).items.filter(
        (p) => !p.metadata.deletionTimestamp,
      );
      expect(podsAfter.map((p) => p.metadata.name).sort()).toEqual([...created].sort());
      expect(created.size).toBe(2);
      for (const p of oldPods) expect(podsAfter.find((q) => q.metadata.name === p.metadata.name)).toBeUndefined();

      // The node stayed Ready throughout, its first Deployment's pods untouched.
      const node = await cluster.client.get<Node>(kind('nodes'), undefined, NODE.name);
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      // Ready never changed while B led and the node was on A (no Unknown in between).
      expect(await readySince()).toBe(readyAt);
      const webAfter = (
        await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=web' })
      ).items;
      for (const [name, uid] of webBefore)
        expect(webAfter.find((p) => p.metadata.name === name)?.metadata.uid, name).toBe(uid);
      expect(webAfter.filter((p) => p.metadata.deletionTimestamp)).toEqual([]);
      expect((await httpGet(`http://${NODE.address}:${NODE_PORT}/`)).status).toBe(200);
      console.log(
        `two hubs: leader killed -9 during a rolling update (status then: ${JSON.stringify(inFlight ?? {})}) → ` +
          `other hub leading after ${failoverMs} ms, rollout complete after ${reconciledMs} ms (lease 4s); ` +
          `${samples.length} NodePort requests, 0 failed; node on the follower for ${onFollowerMs} ms under a ` +
          `2 s grace period; this test took ${Date.now() - started} ms`,
      );
    } finally {
      await hubB.kill('SIGKILL');
      await agent.close();
      if (hubB.err.trim() !== '')
        console.log(`--- hub B (last lines of stderr)\n${hubB.err.trim().split('\n').slice(-15).join('\n')}`);
    }
  }, 180_000);

  it('moves a node given one hub to another it learned from that hub when its hub is killed -9: pods kept, NodePort answering, logs and exec through the new hub', async () => {
    const started = Date.now();
    const auth = { authorization: `Bearer ${cluster.adminToken}` };
    // Hub C: a follower sharing the cluster's PKI (copied, as for hub B above) on this test's address.
    const dirC = join(cluster.dir, 'hub-c');
    cpSync(cluster.hubDir, dirC, {
      recursive: true,
      filter: (src) => !['.edgeplane.lock', 'state.db', 'state.db-wal', 'state.db-shm'].includes(basename(src)),
    });
    const hostC = '127.0.64.1';
    const hubC = new Proc(
      spawn(
        process.execPath,
        [
          join(ROOT, 'bin/edge-hub.js'),
          ...['--data-dir', dirC, '--listen', `${hostC}:${await freePort(hostC)}`, '--heartbeat-interval', '1s'],
          ...[
            '--store',
            'etcd',
            '--etcd-endpoints',
            etcd.endpoints.join(','),
            '--etcd-prefix',
            PREFIX,
            ...LEADER_FLAGS,
          ],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
      ),
    );
    const tls = new Agent({ connect: { ca: cluster.caPem } });
    const node = { name: 'etcd-f', address: '127.0.64.21' };
    let nodeProc: Proc | undefined;
    try {
      const urlC = await until(
        'hub C to print its URL',
        () => /serving (https?:\/\/\S+)/.exec(hubC.out)?.[1],
        30_000,
        50,
      );
      const connected = async (base: string): Promise<number> => {
        const res = await undiciFetch(`${base}/metrics`, { headers: auth, dispatcher: tls }).catch(() => undefined);
        const text = res?.ok ? await res.text() : '';
        return Number(/^edgeplane_connected_nodes (\d+)$/m.exec(text)?.[1] ?? -1);
      };
      const onA = await connected(cluster.url);
      // The node is given C only: it learns A (the leader, alive) from C's list of the cluster's hubs.
      const meshPort = await freePort(node.address);
      const startNode = (): Proc =>
        new Proc(
          spawn(
            process.execPath,
            [
              join(ROOT, 'bin/edge-node.js'),
              ...['--server', urlC, '--token-file', join(cluster.hubDir, 'join.token')],
              ...['--name', node.name, '--address', node.address, '--labels', 'failover=yes'],
              ...['--mesh-port', String(meshPort), '--data-dir', join(cluster.dir, node.name)],
            ],
            { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
          ),
        );
      nodeProc = startNode();
      // Applied at once: the pod is scheduled as soon as the node is Ready.
      const apply = await cluster.edgectl(
        ['apply', '-f', '-'],
        wasmServiceManifest({
          name: 'fo',
          image: DEMO,
          replicas: 1,
          nodePort: NODE_PORT + 2,
          pod: { nodeSelector: { failover: 'yes' } },
        }),
      );
      expect(apply.code, apply.stderr).toBe(0);
      await cluster.waitNodesReady([node.name]);
      expect(await connected(urlC)).toBe(1);
      const rollout = await cluster.edgectl(['rollout', 'status', 'deployment/fo', '--timeout', '60s']);
      expect(rollout.code, rollout.stderr).toBe(0);
      const fo = async (): Promise<Pod[]> =>
        (await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=fo' })).items;
      const before = new Map((await fo()).map((p) => [p.metadata.name, p.metadata.uid]));
      expect([...before.keys()]).toHaveLength(1);
      const setupMs = Date.now() - started;
      const url = `http://${node.address}:${NODE_PORT + 2}/`;
      await until(`NodePort ${url}`, async () => (await httpGet(url)).status === 200, 15_000);
      // Something in the pod's log.
      expect((await httpGet(`${url}fail?for=0.001`)).status).toBe(200);

      // kill -9 of C, under load on the node's NodePort.
      const samples: LoadSample[] = [];
      let loading = true;
      const load = runLoad([url], 2, () => !loading, samples);
      await until('requests before the kill', () => samples.length >= 20, 10_000, 20);
      const killedAt = Date.now();
      await hubC.kill('SIGKILL');
      await until('the node on hub A', async () => (await connected(cluster.url)) === onA + 1, 20_000, 50);
      const reconnectMs = Date.now() - killedAt;
      const atReconnect = samples.length;
      await until('requests after the reconnection', () => samples.length >= atReconnect + 20, 10_000, 20);
      loading = false;
      await load;
      const failures = samples.filter((s) => s.status !== 200);
      expect(failures).toEqual([]);

      // The node stays Ready with the same pods; logs and exec go through A, the hub it is on now.
      await cluster.waitNodesReady([node.name]);
      const after = await fo();
      expect(new Map(after.map((p) => [p.metadata.name, p.metadata.uid]))).toEqual(before);
      expect(after.filter((p) => p.metadata.deletionTimestamp)).toEqual([]);
      const pod = after[0]!.metadata.name!;
      const logs = await cluster.edgectl(['logs', pod]);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toContain(`probe-demo: ${pod} failing for 0.001 s`);
      const exec = await cluster.edgectl(['exec', pod, '--', 'check']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout).toContain('probe-demo check: ok');

      // Restarted (kill -9) while its only --server, C, is down: it reaches A through the hubs it learned
      // and kept (<data-dir>/hubs.json), and runs the same pod again.
      await nodeProc.kill('SIGKILL');
      await until('the node gone from hub A', async () => (await connected(cluster.url)) === onA, 20_000, 50);
      const restartedAt = Date.now();
      nodeProc = startNode();
      await until('the restarted node on hub A', async () => (await connected(cluster.url)) === onA + 1, 30_000, 50);
      const restartMs = Date.now() - restartedAt;
      await cluster.waitNodesReady([node.name]);
      await until(`NodePort ${url} after the restart`, async () => (await httpGet(url)).status === 200, 30_000);
      expect(new Map((await fo()).map((p) => [p.metadata.name, p.metadata.uid]))).toEqual(before);
      console.log(
        `node failover: hub killed -9 → node on the other hub after ${reconnectMs} ms; ${samples.length} NodePort ` +
          `requests, ${failures.length} failed; restarted with its --server hub down → on the other hub after ${restartMs} ms; ` +
          `this test took ${Date.now() - started} ms (${setupMs} ms to a running pod on the third hub)`,
      );
    } finally {
      await nodeProc?.kill('SIGKILL');
      await hubC.kill('SIGKILL');
      await tls.close();
      if (hubC.err.trim() !== '')
        console.log(`--- hub C (last lines of stderr)\n${hubC.err.trim().split('\n').slice(-15).join('\n')}`);
    }
  }, 120_000);
  it('comes back whole when all three hubs are killed -9 and restarted: the node reconnects with its pods, NodePorts answering, one leader reconciling', async () => {
    const started = Date.now();
    const auth = { authorization: `Bearer ${cluster.adminToken}` };
    const tls = new Agent({ connect: { ca: cluster.caPem } });
    const metricsOf = async (base: string): Promise<string> => {
      const res = await undiciFetch(`${base}/metrics`, { headers: auth, dispatcher: tls }).catch(() => undefined);
      return res?.ok ? await res.text() : '';
    };
    const podUids = async (): Promise<Map<string | undefined, string | undefined>> =>
      new Map(
        (await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app in (web,ha)' })).items
          .filter((p) => p.spec.nodeName === NODE.name)
          .map((p) => [p.metadata.name, p.metadata.uid]),
      );
    // The failover test's node was stopped with its hub: it leaves the cluster, so that the scale below is
    // not bound to a node that is gone (as a Ready node, until a grace period after the restart).
    await cluster.client.delete(kind('nodes'), undefined, 'etcd-f').catch(() => undefined);
    const before = await podUids();
    expect(before.size).toBeGreaterThanOrEqual(4);
    const leads = async (base: string): Promise<boolean> =>
      /^edgeplane_leader_is_leader 1$/m.test(await metricsOf(base));
    // Three hubs up at once: A and two followers on the data dirs B and C had above (their processes were
    // killed -9 there). The followers come back on new ports: the node reaches A, its --server.
    const startFollowers = async (): Promise<{ procs: Proc[]; urls: string[] }> => {
      const procs = [
        spawnFollower(etcd, join(cluster.dir, 'hub-b'), '127.0.55.1', await freePort('127.0.55.1')),
        spawnFollower(etcd, join(cluster.dir, 'hub-c'), '127.0.64.1', await freePort('127.0.64.1')),
      ];
      const urls = await Promise.all(
        procs.map((p, i) =>
          until(`follower ${i + 1} to serve`, () => /serving (https?:\/\/\S+)/.exec(p.out)?.[1], 30_000, 50),
        ),
      );
      return { procs, urls };
    };
    let followers = await startFollowers();
    const urls = [`http://${NODE.address}:${NODE_PORT}/`, `http://${NODE.address}:${NODE_PORT + 1}/`];
    const samples: LoadSample[] = [];
    let loading = true;
    const load = pacedLoad(urls, () => !loading, samples);
    try {
      const leaders = async (): Promise<number> =>
        (await Promise.all([cluster.url, ...followers.urls].map(leads))).filter(Boolean).length;
      await until('one leader among the three hubs', async () => (await leaders()) === 1, 20_000, 100);
      await until('requests before the kill', () => samples.length >= 10, 10_000, 20);
      // Every hub killed -9: no hub runs.
      await Promise.all([cluster.hub!.kill('SIGKILL'), ...followers.procs.map((p) => p.kill('SIGKILL'))]);
      const killedAt = Date.now();
      await cluster.startHub();
      followers = await startFollowers();
      const upMs = Date.now() - killedAt;
      await until(
        'the node back on A',
        async () => /^edgeplane_connected_nodes 1$/m.test(await metricsOf(cluster.url)),
        30_000,
        50,
      );
      const reconnectMs = Date.now() - killedAt;
      // The killed leader's lease runs out; then exactly one of the restarted hubs (new identities) leads.
      await until('one leader among the restarted hubs', async () => (await leaders()) === 1, 30_000, 100);
      const leaderMs = Date.now() - killedAt;
      await cluster.waitNodesReady([NODE.name]);

      // The pods the node ran before are the ones it runs now (same uids, none deleted).
      expect(await podUids()).toEqual(before);
      // A new change is reconciled.
      const scale = await cluster.edgectl(['scale', 'deployment/web', '--replicas', '4']);
      expect(scale.code, scale.stderr).toBe(0);
      const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '60s']);
      expect(status.code, status.stderr).toBe(0);
      const reconciledMs = Date.now() - killedAt;
      loading = false;
      await load;
      // The node kept serving its Services while no hub was up.
      expect(samples.filter((s) => s.status !== 200)).toEqual([]);
      console.log(
        `all three hubs killed -9 and restarted: hubs serving after ${upMs} ms, node back on it after ${reconnectMs} ms, ` +
          `leading after ${leaderMs} ms, a scale reconciled after ${reconciledMs} ms; ${samples.length} NodePort ` +
          `requests, 0 failed; this test took ${Date.now() - started} ms`,
      );
    } finally {
      loading = false;
      await load;
      await Promise.all(followers.procs.map((p) => p.kill('SIGKILL')));
      await tls.close();
    }
  }, 150_000);
});

/** A follower hub on `dir` (a copy of hub A's PKI and keys) at `host:port`, on the test's etcd. */
function spawnFollower(etcd: EtcdTestCluster, dir: string, host: string, port: number): Proc {
  return new Proc(
    spawn(
      process.execPath,
      [
        join(ROOT, 'bin/edge-hub.js'),
        ...['--data-dir', dir, '--listen', `${host}:${port}`, '--heartbeat-interval', '1s', '--store', 'etcd'],
        ...['--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', PREFIX, ...LEADER_FLAGS],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
    ),
  );
}

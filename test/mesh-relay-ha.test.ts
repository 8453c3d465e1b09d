/**
 * The mesh relay across two hubs (several hubs on etcd), with real processes in network namespaces:
 * the set-up of `mesh-relay.test.ts`, with a hub per node. A one-member etcd (127.0.141.11); hub A on
 * the host end of namespace ep-ha-a's veth (10.141.1.1), hub B on a copy of A's data dir (same CA,
 * tokens, keyring) on the host end of ep-ha-b's (10.141.2.1). Each namespace has a route to both hubs'
 * addresses and none to the other node's: neither node can reach the other's mesh port. Node ep-ha-a
 * is given hub A only (`--server`), ep-ha-b hub B only; ep-ha-a learns hub B from the hubs' list.
 * `hello-c` runs on ep-ha-b only; requests to ep-ha-a's NodePort, made inside ep-ha-a's namespace,
 * are answered through the relay: hub A, on which ep-ha-b has no relay listener, finds ep-ha-b's
 * session on hub B (hub B's presence record) and sends the dial there (307); ep-ha-a follows it to hub
 * B, a hub it knows, and the bytes cross hub B only (hub A's relay joins no connection).
 * Needs root, `ip netns` and etcd; skipped without root or `ip netns`, saying why. The namespaces are
 * removed and the processes killed always.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubImageRef, type Node, type Pod } from '../src/api/index.js';
import { EdgeClient } from '../src/cli/index.js';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { Proc, ROOT, freePort, kind, until } from './support/cluster.js';
import { addNetns, inNetns, ip, netnsUnavailable, removeNetns, tcpFrom } from './support/netns.js';

const NS = ['ep-ha-a', 'ep-ha-b'] as const;
type Ns = (typeof NS)[number];
/** The host end of each namespace's veth: the address its hub listens on. */
const HUB_IP = { 'ep-ha-a': '10.141.1.1', 'ep-ha-b': '10.141.2.1' } as const;
const NODE_IP = { 'ep-ha-a': '10.141.1.2', 'ep-ha-b': '10.141.2.2' } as const;
const OTHER: Record<Ns, Ns> = { 'ep-ha-a': 'ep-ha-b', 'ep-ha-b': 'ep-ha-a' };
const ETCD_HOST = '127.0.141.11';
const PREFIX = '/e2e-relay-ha';
const NODE_PORT = 30141;
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');
/** Short leader-election timings, as in etcd-hub.test.ts: presence records are read every second. */
const LEADER_FLAGS = ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '1s']; // prettier-ignore
const LOG_LEVEL = process.env.EDGE_LOG_LEVEL ?? 'warn';
const QUIET = process.env.EDGE_TEST_QUIET === '1';

const why = netnsUnavailable();

/** The value of the unlabelled series `name` in a Prometheus text exposition (0 when absent). */
function series(metrics: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
}

describe.skipIf(why !== undefined)(`mesh relay across two hubs${why ? ` (skipped: ${why})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-e2e-relay-ha-'));
  const procs: Array<{ name: string; proc: Proc }> = [];
  let etcd: EtcdTestCluster | undefined;
  let client: EdgeClient;
  let agent: Agent;
  const url = { 'ep-ha-a': '', 'ep-ha-b': '' };
  let adminToken = '';

  /** GETs `path` on the hub at `base` as the admin; the body of a 2xx answer, else ''. */
  const hubGet = async (base: string, path: string): Promise<string> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${adminToken}` }, dispatcher: agent }); // prettier-ignore
    const text = await res.text();
    return res.ok ? text : '';
  };

  /** Starts a hub on `dataDir` listening on `host`; resolves with the URL it prints. */
  const startHub = async (name: string, dataDir: string, host: string): Promise<string> => {
    const args = [join(ROOT, 'bin/edge-hub.js'), '--data-dir', dataDir, '--listen', `${host}:${await freePort(host)}`, '--heartbeat-interval', '1s', '--store', 'etcd', '--etcd-endpoints', etcd!.endpoints.join(','), '--etcd-prefix', PREFIX, ...LEADER_FLAGS]; // prettier-ignore
    const hub = new Proc(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: LOG_LEVEL } })); // prettier-ignore
    procs.push({ name, proc: hub });
    const printed = await until(`${name} to print its URL`, () => /serving (https:\/\/\S+)/.exec(hub.out)?.[1] ?? (hub.alive ? undefined : (() => { throw new Error(`${name} exited: ${hub.err}`); })()), 60_000, 50); // prettier-ignore
    return printed.replace(/\/+$/, '');
  };

  beforeAll(async () => {
    removeNetns(NS); // leftovers of a run that was killed
    for (const ns of NS) {
      addNetns(ns, HUB_IP[ns], NODE_IP[ns]);
      // The other hub's address through this namespace's own veth (the host answers for any of its
      // addresses on any interface); no route to the other namespace's subnet, so not to its node.
      ip('-n', ns, 'route', 'add', `${HUB_IP[OTHER[ns]]}/32`, 'dev', `${ns}1`);
    }
    etcd = await EtcdTestCluster.start([ETCD_HOST]);
    const dirA = join(dir, 'hub-a');
    url['ep-ha-a'] = await startHub('hub A', dirA, HUB_IP['ep-ha-a']);
    // Hub B shares hub A's CA, tokens, keyring and mesh token (copied once A has written them), not its lock.
    const dirB = join(dir, 'hub-b');
    cpSync(dirA, dirB, {
      recursive: true,
      filter: (src) => !['.edgeplane.lock', 'state.db', 'state.db-wal', 'state.db-shm'].includes(basename(src)),
    });
    url['ep-ha-b'] = await startHub('hub B', dirB, HUB_IP['ep-ha-b']);
    adminToken = readFileSync(join(dirA, 'admin.token'), 'utf8').trim();
    const caPem = readFileSync(join(dirA, 'pki', 'ca.crt'), 'utf8');
    agent = new Agent({ connect: { ca: caPem } });
    client = new EdgeClient({ server: url['ep-ha-a'], token: adminToken, userAgent: 'edge-e2e', ca: caPem });
    // Each node is given its own namespace's hub only.
    for (const ns of NS) {
      const args = [join(ROOT, 'bin/edge-node.js'), '--server', url[ns], '--token-file', join(dirA, 'join.token'), '--name', ns, '--address', NODE_IP[ns], '--labels', `relay-test=${ns}`, '--data-dir', join(dir, ns)]; // prettier-ignore
      procs.push({ name: ns, proc: new Proc(spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: LOG_LEVEL } })) }); // prettier-ignore
    }
    await until('both nodes Ready', async () => {
      const nodes = await client.list<Node>(kind('nodes'));
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')); // prettier-ignore
      return ready.length === 2;
    }, 90_000); // prettier-ignore
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await Promise.all(procs.map((p) => p.proc.kill('SIGKILL')));
    await etcd?.stop();
    await agent?.close();
    removeNetns(NS);
    const tails = procs.map((p) => `--- ${p.name}\n${p.proc.err.trim().split('\n').slice(-10).join('\n')}`);
    if (!QUIET) console.log(`[relay-ha e2e] process logs:\n${tails.join('\n')}`);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }, 60_000);

  it("answers on ep-ha-a's NodePort from a pod on ep-ha-b, through hub B only, though ep-ha-a is on hub A", async () => {
    const started = Date.now();
    // The premise: each namespace reaches both hubs, and not the other node.
    for (const ns of NS) {
      for (const hubNs of NS) expect(await tcpFrom(ns, HUB_IP[hubNs], Number(new URL(url[hubNs]).port)), `${ns} → hub of ${hubNs}`).toBe('connected'); // prettier-ignore
      expect(await tcpFrom(ns, NODE_IP[OTHER[ns]], 10250), `${ns} → node ${OTHER[ns]}`).toMatch(/^E(NETUNREACH|HOSTUNREACH|CONNREFUSED|TIMEDOUT)$/); // prettier-ignore
    }
    // Each node is on its own hub, and each hub's view of the other (its presence record) names it.
    for (const ns of NS) {
      await until(`the hub of ${ns} to hold one node and name the other hub's`, async () => {
        if (series(await hubGet(url[ns], '/metrics'), 'edgeplane_connected_nodes') !== 1) return false;
        const cs = JSON.parse(await hubGet(url[ns], '/api/v1/componentstatuses')) as { items: Array<{ conditions?: Array<{ status: string; message?: string }> }> }; // prettier-ignore
        return cs.items.some((c) => c.conditions?.some((x) => x.status === 'True' && x.message?.includes(`${url[OTHER[ns]]}, 1 node`) === true && !x.message.includes('(this hub)'))); // prettier-ignore
      }, 30_000, 250); // prettier-ignore
    }

    const blob = await client.uploadBlob(HELLO_C);
    const labels = { app: 'relay-ha-hello' };
    await client.create(kind('pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'relay-ha-hello', namespace: 'default', labels },
      spec: {
        runtimeClassName: 'wasm',
        nodeSelector: { 'relay-test': 'ep-ha-b' },
        containers: [
          { name: 'app', image: hubImageRef('hello-c.wasm', blob.digest), ports: [{ containerPort: 8080 }] },
        ],
      },
    });
    await client.create(kind('services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'relay-ha-hello', namespace: 'default' },
      spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
    });
    await until('the pod Ready on ep-ha-b', async () => {
      const pod = await client.get<Pod>(kind('pods'), 'default', 'relay-ha-hello');
      return pod.spec?.nodeName === 'ep-ha-b' && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'); // prettier-ignore
    }, 90_000); // prettier-ignore

    // Inside A's namespace: poll A's NodePort until it answers (at most 60 s), then 20 requests that must all answer.
    const out = await inNetns(
      'ep-ha-a',
      `
      const url = 'http://${NODE_IP['ep-ha-a']}:${NODE_PORT}/';
      (async () => {
        const t0 = Date.now();
        const end = t0 + 60000;
        let tries = 0;
        for (;;) {
          tries++;
          try { const r = await fetch(url); await r.text(); if (r.status === 200) break; } catch {}
          if (Date.now() > end) { console.log(JSON.stringify({ first: false, tries })); return; }
          await new Promise((r) => setTimeout(r, 200));
        }
        const firstMs = Date.now() - t0;
        const statuses = [];
        let body = '';
        for (let i = 0; i < 20; i++) {
          try { const r = await fetch(url); body = await r.text(); statuses.push(r.status); } catch { statuses.push(0); }
        }
        console.log(JSON.stringify({ first: true, tries, firstMs, statuses, body: body.slice(0, 200) }));
      })();`,
    );
    const result = JSON.parse(out.trim().split('\n').pop()!) as {
      first: boolean;
      tries: number;
      firstMs?: number;
      statuses?: number[];
      body?: string;
    };
    const metricsA = await hubGet(url['ep-ha-a'], '/metrics');
    const metricsB = await hubGet(url['ep-ha-b'], '/metrics');
    const figures = {
      redirectedA: series(metricsA, 'edgeplane_hub_relay_redirected_total'),
      connectionsA: series(metricsA, 'edgeplane_hub_relay_connections_total'),
      bytesA: series(metricsA, 'edgeplane_hub_relay_bytes_total'),
      redirectedB: series(metricsB, 'edgeplane_hub_relay_redirected_total'),
      connectionsB: series(metricsB, 'edgeplane_hub_relay_connections_total'),
      bytesB: series(metricsB, 'edgeplane_hub_relay_bytes_total'),
      listenersB: series(metricsB, 'edgeplane_hub_relay_listeners'),
    };
    const failures = (result.statuses ?? []).filter((s) => s !== 200).length;
    if (!QUIET) {
      console.log(
        `[relay-ha e2e] first 200 after ${result.tries} tries (${result.firstMs ?? '-'} ms from the pod Ready); ` +
          `then ${result.statuses?.length ?? 0} requests, ${failures} failures; ` +
          `hub A: redirected ${figures.redirectedA}, connections ${figures.connectionsA}, bytes ${figures.bytesA}; ` +
          `hub B: redirected ${figures.redirectedB}, connections ${figures.connectionsB}, bytes ${figures.bytesB}, listeners ${figures.listenersB}; ` +
          `test ${Date.now() - started} ms`,
      );
    }
    expect(result.first, 'a first 200 through the relay on hub B').toBe(true);
    expect(result.statuses).toEqual(new Array(20).fill(200));
    expect(result.body).toMatch(/hello/i);
    // Hub A sent the dials on and joined none; hub B moved the bytes.
    expect(figures.redirectedA).toBeGreaterThan(0);
    expect(figures.connectionsA).toBe(0);
    expect(figures.bytesA).toBe(0);
    expect(figures.connectionsB).toBeGreaterThan(0);
    expect(figures.bytesB).toBeGreaterThan(0);
    // And ep-ha-a's proxy took the relay: its Prometheus series, through hub A's node proxy.
    const nodeMetrics = await hubGet(url['ep-ha-a'], '/api/v1/nodes/ep-ha-a/proxy/metrics');
    const relayed = /edgeplane_mesh_peer_requests_total\{path="relayed",result="answered"\} (\d+)/.exec(nodeMetrics);
    expect(Number(relayed?.[1] ?? 0)).toBeGreaterThanOrEqual(20);
  }, 240_000);
});

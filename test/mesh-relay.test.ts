/**
 * The mesh relay with real processes in network namespaces (issue 20; `bench/mesh-relay-netns.sh` is the
 * same set-up by hand, with figures). The hub on the host; nodes ep-p2p-a and ep-p2p-b each in a
 * namespace of its own, joined to the host by a veth pair (10.140.1.0/24 and 10.140.2.0/24), with a
 * route to the hub's address only: neither can reach the other's mesh port. `hello-c` runs on ep-p2p-b
 * only; requests to ep-p2p-a's NodePort, made inside ep-p2p-a's namespace, are answered through the
 * hub's relay (the default `--mesh-relay auto`: a direct connect fails, the relay is taken).
 * Needs root and `ip netns`; skipped otherwise, saying why. The namespaces are removed always.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubImageRef, type Node } from '../src/api/index.js';
import { EdgeClient } from '../src/cli/index.js';
import { Proc, ROOT, kind, until } from './support/cluster.js';
import { addNetns, inNetns, ip, netnsUnavailable, removeNetns, tcpFrom } from './support/netns.js';

const NS = ['ep-p2p-a', 'ep-p2p-b'] as const;
const HUB_IP = '10.140.1.1';
const NODE_IP = { 'ep-p2p-a': '10.140.1.2', 'ep-p2p-b': '10.140.2.2' } as const;
const HOST_IP = { 'ep-p2p-a': HUB_IP, 'ep-p2p-b': '10.140.2.1' } as const;
const NODE_PORT = 30140;
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');

const why = netnsUnavailable();

describe.skipIf(why !== undefined)(`mesh relay between namespaces${why ? ` (skipped: ${why})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-e2e-relay-'));
  const procs: Proc[] = [];
  let client: EdgeClient;
  let hubUrl = '';
  let adminToken = '';
  let caPem = '';

  beforeAll(async () => {
    removeNetns(NS); // leftovers of a run that was killed
    NS.forEach((ns, i) => {
      const host = HOST_IP[ns];
      addNetns(ns, host, NODE_IP[ns]);
      // The hub listens on ep-p2p-a's host end; ep-p2p-b reaches it through its own veth (the host
      // answers for any of its addresses on any interface) and has no route to ep-p2p-a's subnet.
      if (i === 1) ip('-n', ns, 'route', 'add', `${HUB_IP}/32`, 'dev', `${ns}1`);
    });
    const hubPort = 7400 + Math.floor(Math.random() * 500);
    const hub = new Proc(
      spawn(process.execPath, [join(ROOT, 'bin/edge-hub.js'), '--data-dir', join(dir, 'hub'), '--listen', `${HUB_IP}:${hubPort}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } }), // prettier-ignore
    );
    procs.push(hub);
    const url = await until('the hub to print its URL', () => /serving (https:\/\/\S+)/.exec(hub.out)?.[1] ?? (hub.alive ? undefined : (() => { throw new Error(`hub exited: ${hub.err}`); })()), 60_000, 50); // prettier-ignore
    for (const ns of NS) {
      const args = [join(ROOT, 'bin/edge-node.js'), '--server', url, '--token-file', join(dir, 'hub', 'join.token'), '--name', ns, '--address', NODE_IP[ns], '--labels', `relay-test=${ns}`, '--data-dir', join(dir, ns)]; // prettier-ignore
      procs.push(new Proc(spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } }))); // prettier-ignore
    }
    hubUrl = url;
    adminToken = readFileSync(join(dir, 'hub', 'admin.token'), 'utf8').trim();
    caPem = readFileSync(join(dir, 'hub', 'pki', 'ca.crt'), 'utf8');
    client = new EdgeClient({ server: url, token: adminToken, userAgent: 'edge-e2e', ca: caPem });
    await until('both nodes Ready', async () => {
      const nodes = await client.list<Node>(kind('nodes'));
      const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')); // prettier-ignore
      return ready.length === 2;
    }, 90_000); // prettier-ignore
  }, 150_000);

  afterAll(async () => {
    await client?.close();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    removeNetns(NS);
    const tails = procs.map((p, i) => `--- ${i === 0 ? 'hub' : NS[i - 1]}\n${p.err.trim().split('\n').slice(-10).join('\n')}`); // prettier-ignore
    if (process.env.EDGE_TEST_QUIET !== '1') console.log(`[relay e2e] process logs:\n${tails.join('\n')}`);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it("answers on ep-p2p-a's NodePort from a pod on ep-p2p-b, which it cannot reach but through the hub", async () => {
    // The premise: no path from A's namespace to B's mesh port.
    expect(await tcpFrom('ep-p2p-a', NODE_IP['ep-p2p-b'], 10250)).toMatch(
      /^E(NETUNREACH|HOSTUNREACH|CONNREFUSED|TIMEDOUT)$/,
    );

    const blob = await client.uploadBlob(HELLO_C);
    const labels = { app: 'relay-hello' };
    await client.create(kind('pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'relay-hello', namespace: 'default', labels },
      spec: {
        runtimeClassName: 'wasm',
        nodeSelector: { 'relay-test': 'ep-p2p-b' },
        containers: [
          { name: 'app', image: hubImageRef('hello-c.wasm', blob.digest), ports: [{ containerPort: 8080 }] },
        ],
      },
    });
    await client.create(kind('services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'relay-hello', namespace: 'default' },
      spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
    });
    // Inside A's namespace: poll A's NodePort until it answers, then 20 requests that must all answer.
    const out = await inNetns(
      'ep-p2p-a',
      `
      const url = 'http://${NODE_IP['ep-p2p-a']}:${NODE_PORT}/';
      (async () => {
        const end = Date.now() + 90000;
        for (;;) {
          try { const r = await fetch(url); await r.text(); if (r.status === 200) break; } catch {}
          if (Date.now() > end) { console.log(JSON.stringify({ first: false })); return; }
          await new Promise((r) => setTimeout(r, 200));
        }
        const statuses = [];
        let body = '';
        for (let i = 0; i < 20; i++) { const r = await fetch(url); body = await r.text(); statuses.push(r.status); }
        console.log(JSON.stringify({ first: true, statuses, body: body.slice(0, 200) }));
      })();`,
    );
    const result = JSON.parse(out.trim().split('\n').pop()!) as { first: boolean; statuses?: number[]; body?: string };
    expect(result.first, 'a first 200 through the relay').toBe(true);
    expect(result.statuses).toEqual(new Array(20).fill(200));
    expect(result.body).toMatch(/hello/i);
    // And it was the relay: A's Prometheus series, through the hub's node proxy.
    const res = await fetch(`${hubUrl}/api/v1/nodes/ep-p2p-a/proxy/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
      dispatcher: new Agent({ connect: { ca: caPem } }),
    });
    const metrics = await res.text();
    expect(res.status, metrics.slice(0, 200)).toBe(200);
    const relayed = /edgeplane_mesh_peer_requests_total\{path="relayed",result="answered"\} (\d+)/.exec(metrics);
    expect(Number(relayed?.[1] ?? 0)).toBeGreaterThanOrEqual(20);
  }, 150_000);
});

/**
 * Version skew with real old agents (prints figures; not a test): this tree's hub and one node of
 * this tree, beside agents built from older commits, the state a fleet is in half-way through an
 * agent upgrade. The protocol dialect tests hold each old agent's wire schema against the hub's
 * frames; this runs the old agents themselves.
 *
 * For each old build it checks, and prints:
 * - the old agent joins and is Ready, its protocol as it announces it;
 * - `hello-c` pods (a Deployment spread over every node) start on it, their component fetched from
 *   this hub, and answer through its NodePort and through the new node's NodePort (the mesh between
 *   old and new agents, both ways);
 * - then the upgrade itself, as README "Upgrading agents" describes it: the old agent is stopped
 *   (SIGTERM) and this tree's agent is started on its data directory, while a load loop sends GETs to
 *   the new node's NodePort; the requests that failed, and whether the same pods came back Ready on
 *   the upgraded node (the pods are not rescheduled).
 *
 * An old build is a checkout with its `dist/` built (`tsc -p tsconfig.build.json`) and `node_modules`:
 *   git worktree add --detach /tmp/old-X <commit> && cp -al node_modules /tmp/old-X/ &&
 *   (cd /tmp/old-X && npx tsc -p tsconfig.build.json)
 *
 * Run: npm run build && npx tsx bench/agent-skew.ts --old /tmp/old-X[,/tmp/old-Y] [--address-base 127.0.152]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Proc, freePort, kind, runLoad, until, type LoadSample } from '../test/support/cluster.js';
import type { Pod } from '../src/api/index.js';
import { WASM, deployment, readyPods, runBench } from './wasm-support.js';

const flag = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const OLD = flag('old', '').split(',').filter(Boolean);
const BASE = flag('address-base', '127.0.152');
const NODE_PORT = 31_152;

/** The commit and protocol of an old build, read from its checkout. */
function describeBuild(dir: string): string {
  const wire = readFileSync(join(dir, 'dist/api/wire.js'), 'utf8');
  const protocol = /PROTOCOL_VERSION = (\d+)/.exec(wire)?.[1] ?? '?';
  let commit = '?';
  try {
    commit = readFileSync(join(dir, '.git'), 'utf8').includes('gitdir') ? gitHead(dir) : '?';
  } catch {
    // not a worktree: the commit is unknown
  }
  return `${commit} (protocol ${protocol})`;
}

function gitHead(dir: string): string {
  const gitdir = /gitdir: (.*)/.exec(readFileSync(join(dir, '.git'), 'utf8'))?.[1]?.trim() ?? '';
  return readFileSync(join(gitdir, 'HEAD'), 'utf8').trim().slice(0, 7);
}

/** An agent of another build on the cluster's hub, with the arguments `Cluster.startNode` gives its own. */
function startAgent(cluster: Cluster, binDir: string, name: string, address: string, meshPort: number): Proc {
  const args = [
    join(binDir, 'bin', 'edge-node.js'),
    '--server',
    cluster.url,
    '--token-file',
    join(cluster.hubDir, 'join.token'),
    '--name',
    name,
    '--address',
    address,
    '--mesh-port',
    String(meshPort),
    '--data-dir',
    join(cluster.dir, name),
  ];
  return new Proc(
    spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EDGE_LOG_LEVEL: 'warn' },
    }),
  );
}

/** `count` GETs to one URL, the nodes that answered and the statuses. */
async function probe(url: string, count: number): Promise<{ ok: number; nodes: Map<string, number> }> {
  let ok = 0;
  const nodes = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (res.status === 200) {
        ok++;
        const node = (JSON.parse(text) as { node?: string }).node ?? '?';
        nodes.set(node, (nodes.get(node) ?? 0) + 1);
      }
    } catch {
      // counted as not ok
    }
  }
  return { ok, nodes };
}

const show = (m: Map<string, number>): string => [...m].map(([k, v]) => `${k} ${v}`).join(', ');

async function podsOn(cluster: Cluster, node: string): Promise<string[]> {
  const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=skew' });
  return pods.items
    .filter((p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name ?? '')
    .sort();
}

/** Pods on `node` that are Ready with every container started at or after `since` (ms). */
async function startedSince(cluster: Cluster, node: string, since: number): Promise<number> {
  const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=skew' });
  return pods.items.filter(
    (p) =>
      p.spec.nodeName === node &&
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true &&
      (p.status.containerStatuses ?? []).every((c) => {
        const started = c.state?.running?.startedAt;
        return started !== undefined && Date.parse(started) >= since - 1_000;
      }),
  ).length;
}

async function main(): Promise<void> {
  if (OLD.length === 0) throw new Error('--old <dir>[,<dir>…]: checkouts of older commits with dist/ built');
  const cluster = new Cluster();
  const old: { dir: string; name: string; address: string; meshPort: number; proc: Proc }[] = [];
  try {
    await cluster.start([{ name: 'new-1', address: `${BASE}.2` }]);
    for (const [i, dir] of OLD.entries()) {
      const name = `old-${i + 1}`;
      const address = `${BASE}.${3 + i}`;
      const meshPort = await freePort(address);
      old.push({ dir, name, address, meshPort, proc: startAgent(cluster, dir, name, address, meshPort) });
      console.log(`${name}: ${describeBuild(dir)}`);
    }
    await cluster.waitNodesReady(
      old.map((o) => o.name),
      60_000,
    );
    const replicas = 2 * (old.length + 1);
    // The scheduler spreads a Deployment's pods over nodes (its spread score); printed below.
    const manifest = deployment('skew', WASM.helloC, replicas, NODE_PORT);
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    await until(
      `${replicas} skew pods Ready`,
      async () => (await readyPods(cluster, 'skew')) >= replicas,
      180_000,
      200,
    );
    for (const n of ['new-1', ...old.map((o) => o.name)])
      console.log(`  pods on ${n}: ${(await podsOn(cluster, n)).length}`);

    for (const n of [{ name: 'new-1', address: `${BASE}.2` }, ...old]) {
      const p = await probe(`http://${n.address}:${NODE_PORT}/`, 60);
      console.log(`  NodePort of ${n.name}: ${p.ok}/60 answered (${show(p.nodes)})`);
    }

    for (const o of old) {
      const before = await podsOn(cluster, o.name);
      const samples: LoadSample[] = [];
      let stop = false;
      const loading = runLoad([`http://${BASE}.2:${NODE_PORT}/`], 2, () => stop, samples);
      await o.proc.kill('SIGTERM');
      const t0 = Date.now();
      const upgraded = startAgent(cluster, join(import.meta.dirname, '..'), o.name, o.address, o.meshPort);
      o.proc = upgraded;
      // Ready again once the upgraded agent has started each of its pods' containers anew and reported them
      // (until then the hub still holds the old agent's Ready).
      await until(
        `${o.name}'s pods started by the upgraded agent and Ready`,
        async () => (await startedSince(cluster, o.name, t0)) >= before.length,
        120_000,
        100,
      );
      const readyMs = Date.now() - t0;
      await new Promise((res) => setTimeout(res, 2_000)); // load after the upgrade, too
      stop = true;
      await loading;
      const after = await podsOn(cluster, o.name);
      const failed = samples.filter((s) => s.status !== 200).length;
      console.log(
        `upgrade of ${o.name} to this tree: its pods started anew and Ready ${readyMs} ms after SIGTERM; ` +
          `${samples.length - failed}/${samples.length} requests through new-1's NodePort answered 200 (${failed} failed); ` +
          `same pods ${JSON.stringify(before) === JSON.stringify(after)} (${after.length})`,
      );
    }
  } finally {
    await Promise.all(old.map((o) => o.proc.kill('SIGKILL')));
    await cluster.stop();
  }
}

runBench(main);

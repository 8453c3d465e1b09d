/**
 * Node failover benchmark (prints figures; asserts nothing): two real `edge-hub` processes (built
 * `dist/`) on a one-member etcd (Debian's 3.4, /usr/bin/etcd, started on 127.0.64.30), hub B sharing
 * hub A's CA, tokens and keyring, and `--nodes` real `edge-node` processes (127.0.64.41…) each started
 * with both hubs' addresses, the hub to be killed first. Each run kills the hub the nodes are on with
 * SIGKILL and times, from the kill, each node's reconnection to the other hub (the other hub's
 * `edgeplane_connected_nodes` on /metrics, polled every 20 ms); the killed hub is then started again,
 * and the next run kills the other one, so the nodes move back and forth.
 *
 * What a reconnection costs: the node sees its connection close at once (the kernel resets the killed
 * process's sockets), waits a random spread (0-2 s, so a fleet does not land on the next hub at once),
 * fails to dial the dead hub, and dials the next one after a short jittered wait.
 *
 *   npx tsx bench/node-failover.ts [--runs 4] [--nodes 3]
 *
 * Run it under `flock /tmp/edgeplane-e2e.lock` on a shared machine.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { Proc, ROOT, freePort, until } from '../test/support/cluster.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '4' },
    nodes: { type: 'string', default: '3' },
  },
});
const RUNS = Number(values.runs);
const NODES = Number(values.nodes);
const ETCD_HOST = '127.0.64.30';
const HUB_HOSTS = ['127.0.64.31', '127.0.64.32'] as const;

interface Hub {
  dir: string;
  listen: string;
  url: string;
  proc: Proc | undefined;
}

function spawnLogged(args: string[]): Proc {
  return new Proc(
    spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EDGE_LOG_LEVEL: 'warn' },
    }),
  );
}

async function startHub(hub: Hub, etcd: EtcdTestCluster): Promise<void> {
  const proc = spawnLogged([
    join(ROOT, 'bin/edge-hub.js'),
    ...['--data-dir', hub.dir, '--listen', hub.listen, '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(',')],
    ...['--etcd-prefix', '/bench-node-failover', '--heartbeat-interval', '1s'],
  ]);
  hub.proc = proc;
  hub.url = await until('the hub to print its URL', () => /serving (https?:\/\/\S+)/.exec(proc.out)?.[1], 30_000, 50);
}

const root = mkdtempSync(join(tmpdir(), 'edge-bench-node-failover-'));
const etcd = await EtcdTestCluster.start([ETCD_HOST]);
const hubs: Hub[] = [];
const nodes: Proc[] = [];
const agent = { current: undefined as Agent | undefined };
try {
  for (const [i, host] of HUB_HOSTS.entries()) {
    const hub: Hub = {
      dir: join(root, `hub-${i}`),
      listen: `${host}:${await freePort(host)}`,
      url: '',
      proc: undefined,
    };
    // The second hub shares the first's PKI, tokens and keyring (copied, as an operator would).
    if (i > 0) cpSync(hubs[0]!.dir, hub.dir, { recursive: true, filter: (src) => basename(src) !== '.edgeplane.lock' });
    await startHub(hub, etcd);
    hubs.push(hub);
  }
  const token = readFileSync(join(hubs[0]!.dir, 'admin.token'), 'utf8').trim();
  agent.current = new Agent({ connect: { ca: readFileSync(join(hubs[0]!.dir, 'pki', 'ca.crt'), 'utf8') } });
  const connected = async (hub: Hub): Promise<number> => {
    const res = await undiciFetch(`${hub.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: agent.current,
    }).catch(() => undefined);
    return Number(/^edgeplane_connected_nodes (\d+)$/m.exec(res?.ok ? await res.text() : '')?.[1] ?? 0);
  };
  for (let n = 0; n < NODES; n++) {
    const address = `127.0.64.${41 + n}`;
    nodes.push(
      spawnLogged([
        join(ROOT, 'bin/edge-node.js'),
        ...['--server', hubs.map((h) => h.url).join(','), '--token-file', join(hubs[0]!.dir, 'join.token')],
        ...['--name', `failover-${n}`, '--address', address, '--mesh-port', String(await freePort(address))],
        ...['--data-dir', join(root, `node-${n}`)],
      ]),
    );
  }
  await until('every node on the first hub', async () => (await connected(hubs[0]!)) === NODES, 60_000, 100);
  console.log(`node failover: 2 hubs on a 1-member etcd, ${NODES} edge-node processes knowing both hubs`);
  const all: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const from = hubs[run % 2]!;
    const to = hubs[(run + 1) % 2]!;
    const killedAt = performance.now();
    await from.proc!.kill('SIGKILL');
    const times: number[] = [];
    await until(
      'every node on the other hub',
      async () => {
        const n = await connected(to);
        while (times.length < n) times.push(performance.now() - killedAt);
        return n === NODES;
      },
      60_000,
      20,
    );
    all.push(...times);
    console.log(
      `  run ${run + 1}: kill -9 of the nodes' hub → first node on the other hub ${(times[0]! / 1000).toFixed(2)} s, ` +
        `last ${(times.at(-1)! / 1000).toFixed(2)} s`,
    );
    await startHub(from, etcd);
  }
  all.sort((a, b) => a - b);
  const q = (p: number): string => (all[Math.min(all.length - 1, Math.floor(p * all.length))]! / 1000).toFixed(2);
  console.log(`  over ${all.length} reconnections: median ${q(0.5)} s, max ${q(1)} s`);
} finally {
  for (const n of nodes) await n.kill('SIGKILL');
  for (const h of hubs) await h.proc?.kill('SIGKILL');
  await agent.current?.close();
  await etcd.stop();
  rmSync(root, { recursive: true, force: true });
}

/**
 * Leader failover benchmark (prints figures; asserts nothing): two real `edge-hub` processes (built
 * `dist/`) on a one-member etcd (Debian's 3.4, /usr/bin/etcd, started on 127.0.55.10), hub B sharing
 * hub A's CA, tokens and keyring. Hub A leads; it is killed with SIGKILL, and at that instant a
 * Deployment is scaled from 0 to 1 through hub B. Figures, per run:
 * - kill → B reports itself leader (`edgeplane_leader_is_leader 1` on its /metrics, polled every 50 ms);
 * - kill → the new leader has reconciled the change (the Deployment's pod exists).
 * The leader-election flags are the defaults (lease 15 s, renew deadline 10 s, retry 2 s) unless
 * `--lease 4s --renew 3s --retry 1s` say otherwise.
 *
 *   npx tsx bench/leader-failover.ts [--runs 1] [--lease 15s --renew 10s --retry 2s]
 *
 * Run it under `flock /tmp/edgeplane-e2e.lock` on a shared machine.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Pod } from '../src/api/index.js';
import { EdgeClient } from '../src/cli/index.js';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { Proc, ROOT, freePort, kind, until } from '../test/support/cluster.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    lease: { type: 'string', default: '15s' },
    renew: { type: 'string', default: '10s' },
    retry: { type: 'string', default: '2s' },
  },
});
const RUNS = Number(values.runs);
const HOST = '127.0.55.10';

async function startHub(dir: string, etcd: EtcdTestCluster, prefix: string): Promise<{ proc: Proc; url: string }> {
  const listen = `${HOST}:${await freePort(HOST)}`;
  const proc = new Proc(
    spawn(
      process.execPath,
      [
        join(ROOT, 'bin/edge-hub.js'),
        ...['--data-dir', dir, '--listen', listen, '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(',')],
        ...['--etcd-prefix', prefix, '--leader-elect-lease-duration', values.lease],
        ...['--leader-elect-renew-deadline', values.renew, '--leader-elect-retry-period', values.retry],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
    ),
  );
  const url = await until('the hub to print its URL', () => /serving (https?:\/\/\S+)/.exec(proc.out)?.[1], 30_000, 50);
  return { proc, url };
}

async function run(etcd: EtcdTestCluster, n: number): Promise<{ leaderMs: number; reconciledMs: number }> {
  const root = mkdtempSync(join(tmpdir(), 'edge-bench-failover-'));
  const prefix = `/bench-failover-${n}`;
  const dirA = join(root, 'a');
  const a = await startHub(dirA, etcd, prefix);
  const dirB = join(root, 'b');
  cpSync(dirA, dirB, { recursive: true, filter: (src) => basename(src) !== '.edgeplane.lock' });
  const b = await startHub(dirB, etcd, prefix);
  const token = readFileSync(join(dirA, 'admin.token'), 'utf8').trim();
  const ca = readFileSync(join(dirA, 'pki', 'ca.crt'), 'utf8');
  const agent = new Agent({ connect: { ca } });
  const leads = async (url: string): Promise<boolean> => {
    const res = await undiciFetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: agent,
    });
    return /^edgeplane_leader_is_leader 1$/m.test(await res.text());
  };
  const client = new EdgeClient({ server: b.url, token, ca, userAgent: 'bench-failover' });
  try {
    await until('A to lead', () => leads(a.url), 30_000, 50);
    const dep = await client.create(kind('deployments'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'failover', namespace: 'default' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'failover' } },
        template: {
          metadata: { labels: { app: 'failover' } },
          spec: { containers: [{ name: 'app', image: 'example.com/failover:1' }] },
        },
      },
    });
    // A's controllers have seen it (its ReplicaSet exists) before the kill.
    await until(
      'the ReplicaSet',
      async () => (await client.list(kind('replicasets'), { namespace: 'default' })).items.length === 1,
      30_000,
      50,
    );
    const killedAt = performance.now();
    a.proc.child.kill('SIGKILL');
    await client.update(kind('deployments'), { ...dep, spec: { ...(dep.spec as object), replicas: 1 } });
    let leaderMs = NaN;
    const pods = async (): Promise<number> =>
      (await client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=failover' })).items.length;
    await until(
      'B to lead and reconcile',
      async () => {
        if (Number.isNaN(leaderMs) && (await leads(b.url))) leaderMs = performance.now() - killedAt;
        return (await pods()) === 1;
      },
      120_000,
      50,
    );
    return { leaderMs, reconciledMs: performance.now() - killedAt };
  } finally {
    await client.close();
    await agent.close();
    await a.proc.kill('SIGKILL');
    await b.proc.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

const etcd = await EtcdTestCluster.start([HOST]);
try {
  console.log(
    `leader failover: 2 hubs on a 1-member etcd, lease ${values.lease}, renew deadline ${values.renew}, retry ${values.retry}`,
  );
  for (let i = 0; i < RUNS; i++) {
    const r = await run(etcd, i);
    console.log(
      `  run ${i + 1}: kill -9 of the leader → other hub leading ${(r.leaderMs / 1000).toFixed(2)} s, ` +
        `→ a change made at the kill reconciled ${(r.reconciledMs / 1000).toFixed(2)} s`,
    );
  }
} finally {
  await etcd.stop();
}

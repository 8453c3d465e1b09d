/**
 * `componentstatuses` on two real hubs (in this process, 127.0.80.2) over a real three-member etcd
 * (127.0.80.11-13), read with the real kubectl 1.32 and with edgectl: the scheduler and controllers run
 * by the leader since its term began, every etcd member and both hubs Healthy; a hub whose presence
 * record stopped changing, and an etcd member killed, turn Unhealthy with the reason as ERROR. A SQLite
 * hub shows itself and its store. The hubs serve TLS: kubectl sends no token over plain HTTP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentStatus, ComponentStatusList } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { Proc, ROOT, until } from '../../../test/support/cluster.js';
import { Hub } from '../hub.js';
import { EtcdStore } from '../store/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { PRESENCE_PREFIX } from './hub-presence.js';

const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const TIMINGS = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };
const PREFIX = '/cs-test';

let etcd: EtcdTestCluster;
const dirs: string[] = [];
const hubs: Hub[] = [];
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.80.11', '127.0.80.12', '127.0.80.13']);
}, 60_000);
afterAll(async () => {
  for (const h of hubs) await h.stop().catch(() => undefined);
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-cs-'));
  dirs.push(d);
  return d;
}

async function startHub(store: 'etcd' | 'sqlite', keyFile?: string): Promise<Hub> {
  const hub = await Hub.create({
    dataDir: tempDir(),
    ...(store === 'etcd'
      ? { store: { kind: 'etcd' as const, endpoints: etcd.endpoints, keyPrefix: PREFIX }, leaderElection: TIMINGS }
      : {}),
    host: '127.0.80.2',
    port: 0,
    logger: silentLogger(),
    ...(keyFile !== undefined ? { encryptionKeyFile: keyFile } : {}),
  });
  hubs.push(hub);
  await hub.start();
  return hub;
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const p = new Proc(
    spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } }),
  );
  const code = await p.exited;
  return { code: code ?? -1, out: p.out, err: p.err };
}

const kubectl = (hub: Hub, ...args: string[]) => run(KUBECTL, ['--kubeconfig', hub.clientFiles.kubeconfig, ...args]);

async function statuses(hub: Hub): Promise<Map<string, ComponentStatus['conditions'][number]>> {
  const r = await kubectl(hub, 'get', 'componentstatuses', '-o', 'json');
  expect(r.code, r.err).toBe(0);
  const list = JSON.parse(r.out) as ComponentStatusList;
  return new Map(list.items.map((i) => [i.metadata.name, i.conditions[0]!]));
}

describe('componentstatuses', () => {
  it('shows the leader running the scheduler and controllers, each etcd member and each hub; a silent hub and a killed member turn Unhealthy', async () => {
    const a = await startHub('etcd');
    await until('A to lead', () => a.isLeader, 15_000, 50);
    const b = await startHub('etcd', join(a.options.dataDir, 'encryption.keys'));
    const hubA = `hub-${a.identity}`;
    const hubB = `hub-${b.identity}`;
    await until(
      'both hubs to see each other',
      async () => {
        const cs = await statuses(b);
        // The leader's term start reaches the follower with A's next presence record: wait for it too.
        return (
          cs.get(hubA)?.status === 'True' &&
          cs.get(hubB)?.status === 'True' &&
          cs.get('scheduler')?.status === 'True' &&
          / since /.test(cs.get('scheduler')?.message ?? '')
        );
      },
      15_000,
      100,
    );
    const cs = await statuses(b);
    // Asked of the follower: the leader is A, since its term began (as A's presence record says).
    expect(cs.get('scheduler')?.message).toMatch(
      new RegExp(`^ok: run by hub ${a.identity} since \\d{4}-\\d\\d-\\d\\dT`),
    );
    expect(cs.get('controller-manager')?.message).toBe(cs.get('scheduler')?.message);
    for (const i of [0, 1, 2]) expect(cs.get(`etcd-${i}`)).toMatchObject({ type: 'Healthy', status: 'True' });
    expect(cs.get(`etcd-0`)?.message).toMatch(/^ok: 127\.0\.80\.11:\d+, etcd 3\./);
    expect(cs.get(hubA)?.message).toMatch(/^leader since .*, https:\/\/127\.0\.80\.2:\d+, 0 nodes$/);
    expect(cs.get(hubB)?.message).toMatch(/^follower, https:\/\/127\.0\.80\.2:\d+, 0 nodes \(this hub\)$/);

    // The table kubectl prints (the hub's server-side Table) and edgectl's, alike; `cs` and get by name.
    const table = await kubectl(b, 'get', 'cs');
    expect(table.code, table.err).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+MESSAGE\s+ERROR$/);
    expect(table.out).toMatch(/\nscheduler\s+Healthy\s+ok: run by hub /);
    console.log(`kubectl get cs (asked of the follower):\n${table.out}`);
    const explain = await kubectl(b, 'explain', 'componentstatus.conditions');
    expect(explain.code, explain.err).toBe(0);
    expect(explain.out).toContain('KIND:       ComponentStatus');
    const one = await kubectl(b, 'get', 'componentstatus', 'etcd-1', '-o', 'name');
    expect(one.out.trim()).toBe('componentstatus/etcd-1');
    const missing = await kubectl(b, 'get', 'cs', 'etcd-9');
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('NotFound');
    const token = /token: (\S+)/.exec(readFileSync(b.clientFiles.kubeconfig, 'utf8'))![1]!;
    const server = /server: (\S+)/.exec(readFileSync(b.clientFiles.kubeconfig, 'utf8'))![1]!;
    const edgectl = await run(process.execPath, [join(ROOT, 'bin/edgectl.js'), 'get', 'cs'], {
      EDGE_SERVER: server,
      EDGE_TOKEN: token,
      EDGE_CONFIG: join(b.options.dataDir, 'edgectl-config'),
      EDGE_CA_FILE: join(b.options.dataDir, 'pki', 'ca.crt'),
    });
    expect(edgectl.code, edgectl.err).toBe(0);
    expect(edgectl.out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+MESSAGE\s+ERROR$/);
    expect(edgectl.out).toMatch(new RegExp(`\\n${hubB}\\s+Healthy\\s+follower`));

    // A hub that died leaves its record unchanged: Unhealthy once the record is older than the lease.
    const direct = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: PREFIX, logger: silentLogger() });
    try {
      await direct.create(`${PRESENCE_PREFIX}ghost`, { hub: 'ghost', nodes: [], seq: 1, url: 'http://127.0.80.9:1' });
      await until(
        'the ghost hub Unhealthy',
        async () => (await statuses(a)).get('hub-ghost')?.status === 'False',
        15_000,
        100,
      );
      expect((await statuses(a)).get('hub-ghost')?.error).toMatch(
        /^no presence update for \d+s \(http:\/\/127\.0\.80\.9:1\)$/,
      );
      await direct.delete(`${PRESENCE_PREFIX}ghost`).catch(() => undefined);
    } finally {
      await direct.close();
    }

    // A killed etcd member: Unhealthy with the reason; the hubs keep answering through the others.
    await etcd.kill(2);
    try {
      // When the killed member was raft leader, the others say "member has no raft leader" until they
      // elect one (an election timeout later): wait for that too, as they are then Healthy again.
      let after = new Map<string, ComponentStatus['conditions'][number]>();
      await until(
        'etcd-2 Unhealthy and the other members Healthy',
        async () => {
          after = await statuses(a);
          return (
            after.get('etcd-2')?.status === 'False' &&
            after.get('etcd-0')?.status === 'True' &&
            after.get('etcd-1')?.status === 'True'
          );
        },
        20_000,
        100,
      );
      expect(after.get('etcd-2')?.error).toMatch(/^127\.0\.80\.13:\d+: /);
      expect(after.get('etcd-0')?.status).toBe('True');
      expect(after.get('scheduler')?.status).toBe('True');
      const shown = await kubectl(a, 'get', 'cs');
      expect(shown.out).toMatch(/\netcd-2\s+Unhealthy\s+127\.0\.80\.13:\d+: /);
    } finally {
      await etcd.restart(2);
    }
  }, 120_000);

  it('shows a SQLite hub alone: the scheduler and controllers it runs, its store and itself', async () => {
    const h = await startHub('sqlite');
    const cs = await statuses(h);
    expect([...cs.keys()]).toEqual(['scheduler', 'controller-manager', 'sqlite', `hub-${h.identity}`]);
    expect(cs.get('sqlite')).toMatchObject({ status: 'True', message: 'ok' });
    expect(cs.get('scheduler')?.message).toMatch(new RegExp(`^ok: run by hub ${h.identity} since `));
    expect(cs.get(`hub-${h.identity}`)?.message).toMatch(/^leader since .*, 0 nodes \(this hub\)$/);
  }, 60_000);
});

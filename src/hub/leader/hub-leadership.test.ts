/**
 * The hub's leader wiring on a real etcd (one member on 127.0.55.1, hubs in this process on
 * 127.0.55.2): of two hubs on the same etcd exactly one runs the controllers; a Deployment created
 * through the follower is rolled out by the leader; when the leader loses etcd (as if killed: it neither
 * renews nor releases) it stops leading by its renew deadline and the other takes over within the lease
 * and reconciles a new change. A SQLite hub leads alone and refuses an election.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Pod, ReplicaSet } from '../../api/index.js';
import { ConflictError, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { Hub } from '../hub.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';

const DEPLOYMENT = typeByKind('apps/v1', 'Deployment')!;
const REPLICA_SET = typeByKind('apps/v1', 'ReplicaSet')!;
const POD = typeByKind('v1', 'Pod')!;
/** Short timings so that a failover takes seconds (renew deadline < lease, > 1.2 × retry). */
const TIMINGS = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };

let etcd: EtcdTestCluster;
const dirs: string[] = [];
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.55.1']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-leader-'));
  dirs.push(d);
  return d;
}

/** A hub on etcd under `keyPrefix`; hubs of one prefix share the first one's keyring, as a real setup must. */
async function etcdHub(keyPrefix: string, keyFile?: string): Promise<Hub> {
  const hub = await Hub.create({
    dataDir: tempDir(),
    store: { kind: 'etcd', endpoints: etcd.endpoints, keyPrefix },
    host: '127.0.55.2',
    port: 0,
    logger: silentLogger(),
    insecureHttp: true,
    ...(keyFile !== undefined ? { encryptionKeyFile: keyFile } : {}),
    leaderElection: TIMINGS,
  });
  await hub.start();
  return hub;
}

function deployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'ha', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'ha' } },
      template: {
        metadata: { labels: { app: 'ha' } },
        spec: { containers: [{ name: 'app', image: 'example.com/ha:1' }] },
      },
    },
  };
}

async function livePods(hub: Hub): Promise<Pod[]> {
  const list = await hub.api.list<Pod>(POD, { namespace: 'default', labelSelector: 'app=ha' });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

describe('hubs on one etcd, one leader for the controllers', () => {
  it('runs the controllers on one hub only, and hands them to the other when the leader loses etcd', async () => {
    const a = await etcdHub('/leader-wiring');
    const b = await etcdHub('/leader-wiring', join(a.options.dataDir, 'encryption.keys'));
    let stopped: Hub[] = [];
    try {
      const leader = await until('a leader', () => [a, b].find((h) => h.isLeader), 15_000, 20);
      const follower = leader === a ? b : a;
      expect([a, b].filter((h) => h.isLeader)).toEqual([leader]);
      await until('the follower sees the leader', () => follower.leader === leader.identity, 5_000, 20);
      expect(leader.leader).toBe(leader.identity);

      // Written through the follower, reconciled by the leader: a ReplicaSet and two pods.
      await follower.api.create(DEPLOYMENT, deployment(2));
      await until('two pods of the Deployment', async () => (await livePods(follower)).length === 2, 15_000);
      const rs = await follower.api.list<ReplicaSet>(REPLICA_SET, { namespace: 'default', labelSelector: 'app=ha' });
      expect(rs.items).toHaveLength(1);

      // The leader loses etcd as if killed: no renewal, no release. It stops leading by its renew
      // deadline (its fence shut), and the follower takes over once the lease has expired.
      const t0 = Date.now();
      await leader.store.close();
      await until('the old leader to step down', () => !leader.isLeader, 10_000, 20);
      const stepDown = Date.now() - t0;
      await until('the follower to lead', () => follower.isLeader, 15_000, 20);
      console.log(
        `leader lost etcd: stepped down after ${stepDown} ms, other hub leading after ${Date.now() - t0} ms ` +
          `(lease ${TIMINGS.leaseDurationSeconds}s, renew deadline ${TIMINGS.renewDeadlineSeconds}s)`,
      );

      // The new leader reconciles a new change.
      // The new leader's Deployment controller may write the status between our get and update: a
      // conflict then is the API working, so read again and retry, as a client would.
      await until('the scale to 3 written', async () => {
        const dep = await follower.api.get<Deployment>(DEPLOYMENT, 'default', 'ha');
        try {
          await follower.api.update(DEPLOYMENT, { ...dep, spec: { ...dep.spec, replicas: 3 } });
          return true;
        } catch (err) {
          if (err instanceof ConflictError) return false;
          throw err;
        }
      });
      await until('three pods', async () => (await livePods(follower)).length === 3, 15_000);
      // Nothing was done twice: still one ReplicaSet, exactly three pods.
      const after = await follower.api.list<ReplicaSet>(REPLICA_SET, { namespace: 'default', labelSelector: 'app=ha' });
      expect(after.items.map((r) => r.metadata.name)).toEqual(rs.items.map((r) => r.metadata.name));
      expect(await livePods(follower)).toHaveLength(3);
      stopped = [leader, follower];
    } finally {
      for (const h of stopped.length > 0 ? stopped : [a, b]) await h.stop().catch(() => undefined);
    }
  }, 90_000);

  it('a SQLite hub leads alone and refuses an election', async () => {
    await expect(
      Hub.create({
        dataDir: tempDir(),
        host: '127.0.55.2',
        port: 0,
        logger: silentLogger(),
        insecureHttp: true,
        leaderElection: { enabled: true },
      }),
    ).rejects.toThrow(/needs the etcd store/);
    const hub = await Hub.create({
      dataDir: tempDir(),
      host: '127.0.55.2',
      port: 0,
      logger: silentLogger(),
      insecureHttp: true,
    });
    try {
      await hub.start();
      await until('the SQLite hub to lead', () => hub.isLeader, 5_000, 20);
      expect(hub.leader).toBe(hub.identity);
    } finally {
      await hub.stop();
    }
  });
});

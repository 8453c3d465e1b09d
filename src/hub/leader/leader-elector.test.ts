/**
 * Leader election on a real etcd (127.0.53.6): of three electors exactly one leads; when the leader
 * dies without releasing (its etcd connection closed, its lease left to expire) another takes over;
 * a leader that stops releases at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/support/cluster.js';
import { silentLogger } from '../../platform/index.js';
import { EtcdStore } from '../store/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { LeaderElector, invalidTimings } from './leader-elector.js';

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.53.6']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

/** Short timings (lease 2 s, renew deadline 1.5 s, retry 0.5 s) so that a failover takes seconds. */
const TIMINGS = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.5 };

async function candidate(name: string, log: string[]) {
  const store = await EtcdStore.create({
    endpoints: etcd.endpoints,
    keyPrefix: '/leader-test',
    logger: silentLogger(),
  });
  const lock = store.leaderLock('controllers', name, TIMINGS.leaseDurationSeconds);
  const elector = new LeaderElector({
    lock,
    identity: name,
    ...TIMINGS,
    logger: silentLogger(),
    onStartedLeading: () => log.push(`${name} leads`),
    onStoppedLeading: () => log.push(`${name} stops`),
  });
  return { name, store, lock, elector };
}

describe('LeaderElector on an etcd lease', () => {
  it('refuses timings that cannot work (as client-go does)', () => {
    expect(
      invalidTimings({ leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 }),
    ).toBeUndefined();
    expect(invalidTimings({ leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 })).toMatch(
      /lease duration must be longer than the renew deadline/,
    );
    expect(invalidTimings({ leaseDurationSeconds: 15, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })).toMatch(
      /renew deadline must be longer/,
    );
  });

  it('elects one leader, replaces a dead one within the lease period, and hands over at once on stop', async () => {
    const log: string[] = [];
    const hubs = await Promise.all(['hub-a', 'hub-b', 'hub-c'].map((n) => candidate(n, log)));
    for (const h of hubs) h.elector.start();
    const first = await until('a leader', () => hubs.find((h) => h.elector.isLeader), 10_000, 20);
    expect(hubs.filter((h) => h.elector.isLeader).map((h) => h.name)).toEqual([first.name]);
    expect(await first.lock.holder()).toBe(first.name);
    // The others see who leads (what they log and report).
    for (const h of hubs.filter((x) => x !== first))
      await until(`${h.name} sees the leader`, () => h.elector.holder === first.name, 5_000, 20);
    // The leader dies: its etcd connection goes first, so it neither renews nor releases; etcd expires
    // its lease after the TTL and one of the others takes over.
    await first.store.close();
    await first.elector.stop();
    const rest = hubs.filter((h) => h !== first);
    const second = await until('a new leader', () => rest.find((h) => h.elector.isLeader), 10_000, 20);
    expect(await second.lock.holder()).toBe(second.name);
    expect(rest.filter((h) => h.elector.isLeader)).toHaveLength(1);
    // A leader that stops releases its lease: the last one takes over.
    await second.elector.stop();
    const third = rest.find((h) => h !== second)!;
    await until('the last one to lead', () => third.elector.isLeader, 10_000, 20);
    expect(log.filter((l) => l.endsWith('leads'))).toEqual([
      `${first.name} leads`,
      `${second.name} leads`,
      `${third.name} leads`,
    ]);
    for (const h of rest) {
      await h.elector.stop();
      await h.store.close();
    }
  });
});

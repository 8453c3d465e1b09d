/**
 * The etcd store across the loss of a member of a real three-member etcd (127.0.53.2-4): writes keep
 * being acknowledged (moved to the next endpoint), none is lost, and a watch resumes on another member
 * without a gap or a duplicate. Also: two key prefixes on one etcd do not see each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/cluster.js';
import { silentLogger } from '../../../platform/index.js';
import { EtcdStore } from './etcd-store.js';
import { EtcdTestCluster } from './testing/etcd-cluster.js';

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.53.2', '127.0.53.3', '127.0.53.4']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

describe('EtcdStore on a three-member etcd', () => {
  it('keeps prefixes apart: one cluster never lists or watches another', async () => {
    const a = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/cluster-a', logger: silentLogger() });
    const b = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/cluster-a2', logger: silentLogger() });
    const seenByA: string[] = [];
    const stop = await a.watch('', await a.revision(), (e) => seenByA.push(e.key));
    await a.create('/registry/pods/default/p', 1);
    await b.create('/registry/pods/default/q', 2);
    await a.create('/registry/pods/default/r', 3);
    expect((await a.list('')).items.map((i) => i.key)).toEqual([
      '/registry/pods/default/p',
      '/registry/pods/default/r',
    ]);
    expect((await b.list('/registry/')).items.map((i) => i.key)).toEqual(['/registry/pods/default/q']);
    expect(await b.get('/registry/pods/default/p')).toBeUndefined();
    await until('a sees its two writes', () => seenByA.length >= 2, 10_000, 10);
    expect(seenByA).toEqual(['/registry/pods/default/p', '/registry/pods/default/r']);
    // Revisions are etcd's, shared: b's write sits between a's two.
    const [p, r] = [(await a.get('/registry/pods/default/p'))!, (await a.get('/registry/pods/default/r'))!];
    expect(r.modRevision - p.modRevision).toBe(2);
    stop();
    await a.close();
    await b.close();
  });

  it('loses no acknowledged write and no watch event when the member in use is killed -9', async () => {
    const s = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/failover', logger: silentLogger() });
    const r0 = await s.revision();
    const seen: number[] = [];
    const stop = await s.watch('/k/', r0, (e) => seen.push(e.revision));
    const acked: Array<[string, number]> = [];
    let n = 0;
    let writing = true;
    const writer = async (): Promise<void> => {
      while (writing) {
        const key = `/k/${String(n++).padStart(5, '0')}`;
        acked.push([key, await s.create(key, { key })]);
      }
    };
    const writers = [writer(), writer(), writer(), writer()];
    await until('writes before the kill', () => acked.length >= 50, 20_000, 5);
    // Calls go to the first endpoint until it fails; the watch stream too.
    await etcd.kill(0);
    const atKill = acked.length;
    await until('writes after the kill', () => acked.length >= atKill + 100, 30_000, 5);
    writing = false;
    await Promise.all(writers);
    const revs = acked.map(([, r]) => r).sort((x, y) => x - y);
    expect(new Set(revs).size).toBe(revs.length);
    const listed = await s.list('/k/');
    expect(listed.items.map((i) => i.key)).toEqual(acked.map(([k]) => k).sort());
    // The watch, resumed on another member, saw every revision once, in order.
    await until('the watch to catch up', () => seen.at(-1) === revs.at(-1), 20_000, 10);
    expect(seen).toEqual(revs);
    stop();
    await s.close();
    await etcd.restart(0);
  }, 90_000);
});

/**
 * HubPresence on a real etcd (127.0.55.3): a hub sees the nodes connected to another hub while that
 * hub's record keeps changing; when that hub stops its nodes are gone at once, and when it dies (its
 * etcd connection closed, its record left behind unchanged) they are gone after the lease. The live
 * hubs' addresses make the hub list every hub hands its nodes, and say which hub a node is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { EtcdStore } from '../store/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { HubPresence } from './hub-presence.js';

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.55.3']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

const PERIOD_MS = 100;
const LEASE_MS = 600;

async function hub(identity: string, nodes: string[], url?: string) {
  const store = await EtcdStore.create({
    endpoints: etcd.endpoints,
    keyPrefix: '/presence-test',
    logger: silentLogger(),
  });
  const alive = new Set<string>();
  /** The hub lists reported, in order. */
  const lists: string[][] = [];
  const presence = new HubPresence({
    store,
    identity,
    periodMs: PERIOD_MS,
    leaseMs: LEASE_MS,
    localNodes: () => nodes,
    ...(url !== undefined ? { url: () => url } : {}),
    onHubs: (urls) => lists.push([...urls]),
    onAlive: (n) => alive.add(n),
    onGone: (n) => alive.delete(n),
    logger: silentLogger(),
  });
  presence.start();
  return { store, presence, alive, nodes, lists };
}

describe('HubPresence', () => {
  it("reports the other hubs' nodes while their records change, and drops them when a hub stops or dies", async () => {
    const a = await hub('hub-a', ['n1', 'n2'], 'https://a:7400');
    const b = await hub('hub-b', ['n3'], 'https://b:7400');
    const c = await hub('hub-c', []);
    try {
      await until('c hears n1, n2 and n3', () => ['n1', 'n2', 'n3'].every((n) => c.alive.has(n)), 5_000, 20);
      await until('a hears n3', () => a.alive.has('n3'), 5_000, 20);
      // A hub's own nodes are not reported back to it.
      expect([...a.alive]).toEqual(['n3']);
      // The hub list: every live hub's address (c advertises none), the same on every hub.
      await until('c lists a and b', () => c.presence.hubs().length === 2, 5_000, 20);
      for (const h of [a, b, c]) {
        await until(
          `${h === a ? 'a' : h === b ? 'b' : 'c'} lists a and b`,
          () => h.presence.hubs().length === 2,
          5_000,
          20,
        );
        expect(h.presence.hubs()).toEqual(['https://a:7400', 'https://b:7400']);
        expect(h.lists.at(-1)).toEqual(['https://a:7400', 'https://b:7400']);
      }
      // Where another hub's node is (the relay sends dials for it there): never this hub, never a hub with no address.
      expect([c.presence.hubOf('n1'), c.presence.hubOf('n3'), a.presence.hubOf('n3')]).toEqual(['https://a:7400', 'https://b:7400', 'https://b:7400']); // prettier-ignore
      expect([a.presence.hubOf('n1'), a.presence.hubOf('nobody')]).toEqual([undefined, undefined]);

      // A node leaves hub a: gone for the others.
      a.nodes.splice(a.nodes.indexOf('n2'), 1);
      await until('c no longer hears n2', () => !c.alive.has('n2'), 5_000, 20);
      expect(c.alive.has('n1')).toBe(true);

      // Hub b stops cleanly: its record goes, its node is gone at once.
      await b.presence.stop();
      await until('c no longer hears n3', () => !c.alive.has('n3'), 5_000, 20);
      expect(c.presence.hubOf('n3')).toBeUndefined();
      await until('b is off the list', () => c.presence.hubs().length === 1, 5_000, 20);
      expect(c.lists.at(-1)).toEqual(['https://a:7400']);

      // Hub a dies: its record stays, unchanged; after the lease its nodes are gone.
      await a.store.close();
      await until('c no longer hears n1 once the lease has passed', () => !c.alive.has('n1'), 5_000, 20);
      expect(c.presence.hubOf('n1')).toBeUndefined();
      expect((await c.store.list('/hubs/presence/')).items.map((i) => i.key)).toContain('/hubs/presence/hub-a');
      await until('a is off the list', () => c.presence.hubs().length === 0, 5_000, 20);
      expect(c.lists.at(-1)).toEqual([]);
    } finally {
      await a.presence.stop().catch(() => undefined);
      await c.presence.stop();
      await b.store.close();
      await c.store.close();
    }
  });
});

/**
 * SharedUsage on a real etcd (127.0.75.12): the usage nodes report to one hub is served by another
 * hub on the same etcd (the leader's HPA, `top` anywhere), at one write per hub per period, and so is
 * a Service wake-up; a hub that stops takes its records with it, and one that dies stops counting after
 * three periods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageSource } from '../metrics/index.js';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { EtcdStore } from '../store/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { SharedUsage, USAGE_PREFIX } from './usage-share.js';

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.75.12']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

const PERIOD_MS = 100;

/** A hub's own intake, as its gateway fills it: the samples its nodes reported (fixed here). */
function intake(
  pods: Array<{ name: string; node: string; rps: number }>,
  nodes: string[],
): UsageSource & { wake(namespace: string, service: string): void } {
  const timestamp = new Date().toISOString();
  const podSamples = pods.map((p) => ({
    namespace: 'default',
    name: p.name,
    uid: `uid-${p.name}`,
    node: p.node,
    timestamp,
    windowSeconds: 5,
    containers: [{ name: 'c', cpuNanoCores: 1000, memoryBytes: 2048 }],
    requestsPerSecond: p.rps,
    errorsPerSecond: 0,
  }));
  const nodeSamples = nodes.map((name) => ({ name, timestamp, windowSeconds: 5, cpuNanoCores: 5, memoryBytes: 6 }));
  const listeners = new Set<(namespace: string, service: string) => void>();
  return {
    pod: (ns, name) => podSamples.find((p) => p.namespace === ns && p.name === name),
    pods: (ns) => podSamples.filter((p) => ns === undefined || p.namespace === ns),
    node: (name) => nodeSamples.find((n) => n.name === name),
    nodes: () => [...nodeSamples],
    onServiceWake: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    wake: (namespace, service) => {
      for (const l of listeners) l(namespace, service);
    },
  };
}

async function hub(identity: string, local: UsageSource) {
  const store = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/usage-test', logger: silentLogger() });
  const shared = new SharedUsage({ store, identity, local, periodMs: PERIOD_MS, logger: silentLogger() });
  shared.start();
  return { store, shared };
}

describe('SharedUsage', () => {
  it("serves the other hubs' node and pod usage after its own, and forgets a hub that stops or dies", async () => {
    const aIntake = intake([{ name: 'web-1', node: 'n1', rps: 7 }], ['n1']);
    const a = await hub('hub-a', aIntake);
    const b = await hub('hub-b', intake([{ name: 'web-2', node: 'n2', rps: 3 }], ['n2']));
    const c = await hub('hub-c', intake([], []));
    try {
      await until('c sees both pods', () => c.shared.pods('default').length === 2, 5_000, 20);
      expect(c.shared.pod('default', 'web-1')?.requestsPerSecond).toBe(7);
      expect(c.shared.pod('default', 'web-2')?.node).toBe('n2');
      expect(
        c.shared
          .nodes()
          .map((n) => n.name)
          .sort(),
      ).toEqual(['n1', 'n2']);
      expect(c.shared.pods('other')).toEqual([]);
      // A hub's own intake comes first, and its own records are not read back as another hub's.
      await until('a sees web-2', () => a.shared.pods().length === 2, 5_000, 20);
      expect(a.shared.pods().map((p) => p.name)).toEqual(['web-1', 'web-2']);
      // One record per hub (one shard each here), rewritten in place each period.
      const keys = (await c.store.list(USAGE_PREFIX)).items.map((i) => i.key).sort();
      expect(keys).toEqual([`${USAGE_PREFIX}hub-a/0`, `${USAGE_PREFIX}hub-b/0`, `${USAGE_PREFIX}hub-c/0`]);

      // A node on a holds a request for a Service at zero: a's listeners hear it now, c's (the leader's
      // HPA, say) from a's next record.
      const heard = { a: [] as string[], c: [] as string[] };
      a.shared.onServiceWake((ns, svc) => heard.a.push(`${ns}/${svc}`));
      c.shared.onServiceWake((ns, svc) => heard.c.push(`${ns}/${svc}`));
      aIntake.wake('default', 'sleepy');
      expect(heard.a).toEqual(['default/sleepy']);
      await until('c hears the wake-up', () => heard.c.length > 0, 5_000, 20);
      expect(heard.c).toEqual(['default/sleepy']);

      // b stops cleanly: its records go, and its pod with them.
      await b.shared.stop();
      await until('c no longer sees web-2', () => c.shared.pod('default', 'web-2') === undefined, 5_000, 20);
      // a dies (its etcd connection closed, its record left unchanged): gone after three periods.
      await a.store.close();
      await until('c no longer sees web-1', () => c.shared.pods().length === 0, 5_000, 20);
      expect(c.shared.node('n1')).toBeUndefined();
    } finally {
      await a.shared.stop().catch(() => undefined);
      await c.shared.stop();
      await b.store.close();
      await c.store.close();
    }
  });
});

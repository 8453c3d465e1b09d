import { afterAll, beforeAll } from 'vitest';
import { until } from '../../../../test/support/cluster.js';
import { silentLogger } from '../../../platform/index.js';
import type { Store } from '../types.js';
import { storeConformance } from '../testing/store-conformance.js';
import { EtcdStore } from './etcd-store.js';
import { EtcdTestCluster } from './testing/etcd-cluster.js';

// A one-member etcd of its own on 127.0.53.1 (this file's part of the etcd tests' loopback range).
let etcd: EtcdTestCluster;
let n = 0;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.53.1']);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

storeConformance('etcd', {
  // Each case under a key prefix of its own: the etcd (and its revision counter) is shared.
  open: (opts): Promise<Store> =>
    EtcdStore.create({
      endpoints: etcd.endpoints,
      keyPrefix: `/conformance-${n++}`,
      logger: silentLogger(),
      historyLimit: opts?.historyLimit,
    }),
  until: (what, fn) => until(what, fn, 10_000, 10).then(() => undefined),
});

/**
 * The etcd watch path on a real one-member etcd (127.0.64.11): a value under the prefix that is not
 * JSON is skipped and logged once, without stopping the watch; a watch that cannot resume because etcd
 * compacted past its revision reports it through the Store contract's error callback, and the watch
 * cache over it drops its caches and relists.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoneError, type Logger } from '../../../api/index.js';
import { until } from '../../../../test/support/cluster.js';
import { silentLogger } from '../../../platform/index.js';
import { WatchCaches } from '../../cache/index.js';
import type { StoreEvent } from '../types.js';
import { EtcdStore } from './etcd-store.js';
import { EtcdTestCluster } from './testing/etcd-cluster.js';
import { TcpRelay } from './testing/tcp-relay.js';

const HOST = '127.0.64.11';

/** A silent logger that keeps its error lines (message and fields). */
function recordingLogger(lines: Array<{ msg: string; fields: Record<string, unknown> }>): Logger {
  const logger: Logger = new Proxy(silentLogger(), {
    get(target, prop, receiver) {
      if (prop === 'error')
        return (fields: Record<string, unknown>, msg?: string) => lines.push({ msg: msg ?? '', fields });
      if (prop === 'child') return () => logger;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return logger;
}

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start([HOST]);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

describe('the etcd watch path', () => {
  it('skips a value that is not JSON, logging it once with its key, and keeps watching', async () => {
    const errors: Array<{ msg: string; fields: Record<string, unknown> }> = [];
    const store = await EtcdStore.create({
      endpoints: etcd.endpoints,
      keyPrefix: '/bad',
      logger: recordingLogger(errors),
    });
    try {
      const seen: StoreEvent[] = [];
      const stop = await store.watch('/registry/', await store.revision(), (e) => seen.push(e));
      await store.create('/registry/configmaps/default/before', { n: 1 });
      // Another program writes garbage under the prefix, twice, then deletes it.
      const put = (v: string): Promise<unknown> =>
        promisify(execFile)(
          'etcdctl',
          ['--endpoints', etcd.endpoints[0]!, 'put', '/bad/registry/configmaps/default/junk', v],
          {
            env: { ...process.env, ETCDCTL_API: '3' },
          },
        );
      await put('{not json');
      await put('still <not> json');
      await store.delete('/registry/configmaps/default/junk');
      await store.create('/registry/configmaps/default/after', { n: 2 });
      await until('the write after the garbage', () => seen.some((e) => e.key.endsWith('/after')), 10_000, 10);
      expect(seen.map((e) => `${e.type} ${e.key.split('/').pop()}`)).toEqual([
        'put before',
        'delete junk',
        'put after',
      ]);
      expect(seen[1]!.value).toBeNull();
      const bad = errors.filter((l) => /not JSON/.test(l.msg));
      expect(bad).toHaveLength(1);
      expect(bad[0]!.fields.key).toBe('/registry/configmaps/default/junk');
      stop();
    } finally {
      await store.close();
    }
  });

  it('reports a watch that cannot resume past a compaction, and the watch cache relists', async () => {
    const relay = await TcpRelay.start(new URL(etcd.endpoints[0]!), HOST);
    // The hub's store reaches etcd through the relay; the test's own store goes straight to etcd.
    const hub = await EtcdStore.create({ endpoints: [relay.url], keyPrefix: '/cmp', logger: silentLogger() });
    const direct = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/cmp', logger: silentLogger() });
    const caches = new WatchCaches({ store: hub, logger: silentLogger(), freshTimeoutMs: 200 });
    try {
      await direct.create('/registry/configmaps/default/a', { v: 1 });
      const cache = await caches.cache('/registry/configmaps/');
      expect(cache.size).toBe(1);
      const broken: Error[] = [];
      const seen: string[] = [];
      await caches.watch(
        '/registry/configmaps/',
        caches.progress,
        (e) => seen.push(e.key),
        (err) => broken.push(err),
      );

      // The hub loses etcd; meanwhile the cluster moves on and etcd compacts that history away.
      relay.cut();
      await direct.create('/registry/configmaps/default/b', { v: 2 });
      await direct.create('/registry/configmaps/default/c', { v: 3 });
      await direct.compact(await direct.revision());
      relay.mend();

      // The watch cannot resume: its subscriber hears 410 Gone, nothing was delivered silently wrong.
      await until('the broken watch reported', () => broken.length === 1, 20_000, 20);
      expect(broken[0]).toBeInstanceOf(GoneError);
      expect(seen).toEqual([]);
      // The caches were dropped: the next read relists and sees every object, and new writes flow again.
      const again = await caches.cache('/registry/configmaps/');
      expect(again).not.toBe(cache);
      expect(again.size).toBe(3);
      await direct.create('/registry/configmaps/default/d', { v: 4 });
      await until(
        'the cache fed again',
        async () => (await caches.cache('/registry/configmaps/')).size === 4,
        10_000,
        20,
      );
    } finally {
      caches.close();
      await hub.close();
      await direct.close();
      await relay.stop();
    }
  }, 60_000);
});

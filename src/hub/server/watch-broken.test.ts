/**
 * A watch whose store watch breaks for good, on a real one-member etcd (127.0.75.11): the hub's store
 * reaches etcd through a relay the test cuts while the cluster moves on and etcd compacts that history
 * away. The hub's watch cache cannot resume, and the break must reach every watcher, as the
 * kube-apiserver tells its watchers: an HTTP watch (shared, and pinned to a name) ends with a
 * `{"type":"ERROR","object":Status 410 Expired}` event, an informer relists, and watches started after
 * the break are fed again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, typeByKind, type ConfigMap, type ResourceType } from '../../api/index.js';
import { until } from '../../../test/support/cluster.js';
import { silentLogger } from '../../platform/index.js';
import { Informer } from '../informers/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { EtcdStore } from '../store/etcd/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { TcpRelay } from '../store/etcd/testing/tcp-relay.js';
import { watchResponse } from './watch-stream.js';

const HOST = '127.0.75.11';
const cmType = typeByKind('v1', 'ConfigMap') as ResourceType;
const nsType = typeByKind('v1', 'Namespace') as ResourceType;

interface Line {
  type: string;
  object: { kind?: string; code?: number; reason?: string; metadata?: { name?: string } };
}

/** Reads a watch response's lines as they come, and whether it ended. */
class WatchLines {
  readonly lines: Line[] = [];
  ended = false;
  constructor(res: Response) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        buf += decoder.decode(r.value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.lines.push(JSON.parse(buf.slice(0, i)) as Line);
          buf = buf.slice(i + 1);
        }
      }
      this.ended = true;
    })();
  }

  names(type: string): string[] {
    return this.lines.filter((l) => l.type === type).map((l) => l.object.metadata?.name ?? '');
  }
}

const cm = (name: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { n: name },
});

let etcd: EtcdTestCluster;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start([HOST]);
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});

describe('a watch whose store watch breaks', () => {
  it('ends HTTP watches with a 410 ERROR event, relists informers, and serves new watches', async () => {
    const relay = await TcpRelay.start(new URL(etcd.endpoints[0]!), HOST);
    const logger = silentLogger();
    // The hub's store goes through the relay; the "rest of the cluster" writes straight to etcd.
    const hubStore = await EtcdStore.create({ endpoints: [relay.url], keyPrefix: '/wb', logger });
    const otherStore = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/wb', logger });
    const hub = new ObjectRegistry({
      store: hubStore,
      clock: systemClock,
      logger,
      watchCache: { freshTimeoutMs: 200 },
    });
    const other = new ObjectRegistry({ store: otherStore, clock: systemClock, logger, watchCache: false });
    const informer = new Informer<ConfigMap>(hub, cmType, logger);
    const aborts: AbortController[] = [];
    const watch = async (query: { fieldSelector?: string; resourceVersion: string }): Promise<WatchLines> => {
      const abort = new AbortController();
      aborts.push(abort);
      const res = await watchResponse(hub, cmType, { namespace: 'default', ...query }, abort.signal, {
        bookmarkIntervalMs: 60_000,
        logger,
      });
      return new WatchLines(res);
    };
    try {
      await other.create(nsType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
      await other.create(cmType, cm('a'));
      await informer.start();
      const rv = (await hub.list(cmType, { namespace: 'default' })).resourceVersion;
      const all = await watch({ resourceVersion: rv });
      const pinned = await watch({ resourceVersion: rv, fieldSelector: 'metadata.name=b' });

      // The hub loses etcd; meanwhile the cluster writes on, and etcd compacts that history away.
      relay.cut();
      await other.create(cmType, cm('b'));
      await other.create(cmType, cm('c'));
      await otherStore.compact(await otherStore.revision());
      relay.mend();

      // Both HTTP watches end with Kubernetes' 410 Expired ERROR event, having delivered nothing wrong.
      await until('both watches ended', () => all.ended && pinned.ended, 30_000, 20);
      for (const w of [all, pinned]) {
        expect(w.lines.map((l) => l.type)).toEqual(['ERROR']);
        expect(w.lines[0]!.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
      }
      // The informer relisted: it holds what it missed, and follows new writes on its new watch.
      await until('the informer relisted', () => informer.size === 3, 20_000, 20);
      await other.create(cmType, cm('d'));
      await until('the informer watches again', () => informer.get('default', 'd') !== undefined, 20_000, 20);

      // A watch started after the break gets a live store watch (not the dead shared one).
      const rv2 = (await hub.list(cmType, { namespace: 'default' })).resourceVersion;
      const after = await watch({ resourceVersion: rv2 });
      await other.create(cmType, cm('e'));
      await until('the new watch fed', () => after.names('ADDED').includes('e'), 20_000, 20);
      expect(after.ended).toBe(false);
    } finally {
      for (const a of aborts) a.abort();
      informer.stop();
      hub.close();
      await hubStore.close();
      await otherStore.close();
      await relay.stop();
    }
  }, 90_000);
});

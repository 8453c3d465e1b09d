import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoneError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore, type StoreEvent } from '../store/index.js';
import { SortedKeys, prefixEnd } from './sorted-keys.js';
import { StringInterner } from './string-interner.js';
import { WatchCaches, resourcePrefix } from './watch-caches.js';

const obj = (name: string, v = 1) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { v: String(v) },
});
const all = () => true;

let dir: string;
let store: SqliteStore;
let caches: WatchCaches;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'watch-caches-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), historyLimit: 1000 });
  caches = new WatchCaches({ store, logger: silentLogger(), history: 4, freshTimeoutMs: 100 });
});
afterEach(async () => {
  caches.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SortedKeys', () => {
  it('keeps keys in store order through inserts and deletes', () => {
    const k = new SortedKeys();
    for (const key of ['/r/b', '/r/a', '/r/c', '/r/a']) k.add(key);
    k.delete('/r/b');
    k.delete('/r/zz');
    expect([...k.from('/r/')]).toEqual(['/r/a', '/r/c']);
    expect(k.size).toBe(2);
    expect([...k.from('/r/b')]).toEqual(['/r/c']);
    expect([...k.from('/r/a', true)]).toEqual(['/r/c']);
    expect([...k.from('/r/c', true)]).toEqual([]);
    k.reset(['/r/x', '/r/y']);
    expect([...k.from('')]).toEqual(['/r/x', '/r/y']);
    expect(prefixEnd('/registry/pods/')).toBe('/registry/pods0');
    expect(resourcePrefix('/registry/pods/default/x')).toBe('/registry/pods/');
    expect(resourcePrefix('/other/x')).toBeUndefined();
  });
});

describe('SortedKeys against a sorted array', () => {
  it('walks the same keys as a sorted set after any run of adds and deletes', () => {
    const key = fc.stringMatching(/^\/r\/[a-c]{0,3}$/);
    const op = fc.tuple(fc.boolean(), key);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), key, fc.boolean(), (ops, start, after) => {
        const k = new SortedKeys();
        const model = new Set<string>();
        for (const [add, x] of ops) {
          if (add) {
            k.add(x);
            model.add(x);
          } else {
            k.delete(x);
            model.delete(x);
          }
        }
        const expected = [...model].sort().filter((x) => (after ? x > start : x >= start));
        expect([...k.from(start, after)]).toEqual(expected);
        expect(k.size).toBe(model.size);
      }),
    );
  });
});

describe('WatchCaches', () => {
  it('loads a resource once, follows the store, and rebuilds an older snapshot from its history', async () => {
    const r1 = await store.create('/registry/configmaps/ns/a', obj('a'));
    await store.create('/registry/configmaps/ns/b', obj('b'));
    await store.create('/registry/secrets/ns/s', obj('s'));
    const cache = await caches.cache('/registry/configmaps/ns/');
    expect(await caches.cache('/registry/configmaps/')).toBe(cache);
    const a = cache.get('/registry/configmaps/ns/a');
    expect(a?.metadata.resourceVersion).toBe(String(r1));
    const before = caches.revisionOf(cache);
    await store.update('/registry/configmaps/ns/a', obj('a', 2), r1);
    await store.delete('/registry/configmaps/ns/b');
    await store.create('/registry/configmaps/other/c', obj('c'));
    expect(await caches.fresh()).toBe(true);
    const now = cache.read({ prefix: '/registry/configmaps/', matches: all });
    expect(now.items.map((o) => [o.metadata.name, (o as { data?: { v?: string } }).data?.v])).toEqual([
      ['a', '2'],
      ['c', '1'],
    ]);
    const then = cache.read({ prefix: '/registry/configmaps/ns/', at: before, matches: all });
    expect(then.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(then.items[0]).toBe(a); // the very object that was current then
    // Past the history (4 changes kept, 8 before trimming) the snapshot is gone.
    for (let i = 0; i < 9; i++) await store.create(`/registry/configmaps/ns/x${i}`, obj('x'));
    expect(() => cache.read({ prefix: '/registry/configmaps/', at: before, matches: all })).toThrow(GoneError);
  });

  it("interns the values of what it caches, but not a Secret's (they would outlive the Secret in the table)", async () => {
    const strings = new StringInterner();
    const own = new WatchCaches({ store, logger: silentLogger(), strings });
    try {
      await store.create('/registry/configmaps/ns/c', { ...obj('c'), data: { v: 'config-value' } });
      await store.create('/registry/secrets/ns/s', { ...obj('s'), data: { v: 'c2VjcmV0LXZhbHVl' } });
      await own.cache('/registry/configmaps/');
      const afterConfigMaps = strings.size;
      expect(afterConfigMaps).toBeGreaterThan(0);
      const secrets = await own.cache('/registry/secrets/');
      await store.create('/registry/secrets/ns/t', { ...obj('t'), data: { v: 'YW5vdGhlcg==' } });
      expect(await own.fresh()).toBe(true);
      expect(secrets.get('/registry/secrets/ns/t')).toMatchObject({ data: { v: 'YW5vdGhlcg==' } });
      expect(strings.size).toBe(afterConfigMaps);
    } finally {
      own.close();
    }
  });

  it("hands an update's watchers the object it replaced as the cache held it, not a second parse", async () => {
    const r1 = await store.create('/registry/configmaps/ns/a', obj('a'));
    const cache = await caches.cache('/registry/configmaps/');
    const held = cache.get('/registry/configmaps/ns/a');
    const seen: StoreEvent[] = [];
    const stop = await caches.watch('/registry/configmaps/', r1, (e) => seen.push(e));
    const r2 = await store.update('/registry/configmaps/ns/a', obj('a', 2), r1);
    await store.create('/registry/configmaps/ns/b', obj('b'));
    expect(await caches.fresh()).toBe(true);
    stop();
    expect(seen.map((e) => e.revision)).toEqual([r2, r2 + 1]);
    expect(seen[0]?.prevValue).toBe(held);
    expect(seen[1]?.prevValue).toBeUndefined(); // a create replaced nothing
    // A watch from before the update replays it from the history, with the same object.
    const replayed: StoreEvent[] = [];
    (await caches.watch('/registry/configmaps/', r1, (e) => replayed.push(e)))();
    expect(replayed[0]?.prevValue).toBe(held);
  });

  it('keeps no cache of Events, as Kubernetes keeps none: their reads and watches go to the store', async () => {
    const r1 = await store.create('/registry/events/ns/e1', { ...obj('e1'), kind: 'Event' });
    expect(caches.isCached('/registry/events/ns/')).toBe(false);
    expect(caches.isCached('/registry/configmaps/ns/')).toBe(true);
    await expect(caches.cache('/registry/events/')).rejects.toThrow('not cached: /registry/events/');
    expect(await caches.revision('/registry/events/')).toBe(await store.revision());
    const seen: StoreEvent[] = [];
    const stop = await caches.watch('/registry/events/', r1 - 1, (e) => seen.push(e));
    await store.create('/registry/events/ns/e2', { ...obj('e2'), kind: 'Event' });
    await store.create('/registry/configmaps/ns/c', obj('c'));
    await caches.cache('/registry/configmaps/');
    expect(await caches.fresh()).toBe(true);
    stop();
    expect(seen.map((e) => e.key)).toEqual(['/registry/events/ns/e1', '/registry/events/ns/e2']);
    expect(Object.keys(caches.sizes)).toEqual(['/registry/configmaps/']);
  });

  it('serves watches from its history, falls back to the store for older revisions, and times out fresh reads', async () => {
    const r1 = await store.create('/registry/configmaps/ns/a', obj('a'));
    await caches.cache('/registry/configmaps/');
    const r2 = await store.update('/registry/configmaps/ns/a', obj('a', 2), r1);
    const seen: StoreEvent[] = [];
    const stop = await caches.watch('/registry/configmaps/ns/', r1, (e) => seen.push(e));
    await store.create('/registry/configmaps/ns/b', obj('b'));
    await store.create('/registry/configmaps/zz/c', obj('c'));
    expect(seen.map((e) => [e.key, e.revision])).toEqual([
      ['/registry/configmaps/ns/a', r2],
      ['/registry/configmaps/ns/b', r2 + 1],
    ]);
    stop();
    // Older than the cache (loaded after r1): the store's own watch replays it.
    const older: StoreEvent[] = [];
    const stop2 = await caches.watch('/registry/configmaps/', 0, (e) => older.push(e));
    expect(older[0]?.revision).toBe(r1);
    stop2();
    expect(await caches.fresh((await store.revision()) + 5)).toBe(false);
  });
});

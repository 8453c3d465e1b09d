/**
 * LIST and watch served from the registry's watch cache, checked against the same registry reading the
 * store (`testing/temp-registry.ts`: both over one real SQLite store): namespaces and selectors, paging
 * with continue tokens, resourceVersion and resourceVersionMatch, and a watch replayed from the history.
 */
import { describe, expect, it } from 'vitest';
import { GoneError, InvalidError, BadRequestError, TimeoutError, type KubeObject } from '../../api/index.js';
import { ObjectRegistry } from './object-registry.js';
import { NS, POD } from './testing/resource-types.js';
import { tempRegistryPerTest } from './testing/temp-registry.js';
import type { ListOptions, WatchEvent } from './types.js';

const pod = (name: string, namespace = 'default', app = 'web', nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app } },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }], ...(nodeName ? { nodeName } : {}) },
});
const names = (items: KubeObject[]): string[] => items.map((o) => o.metadata.name ?? '');

let cached: ObjectRegistry;
let direct: ObjectRegistry;
const cache = { history: 50, freshTimeoutMs: 200 };
tempRegistryPerTest({ prefix: 'list-cache-', watchCache: cache, namespaces: ['default', 'other'] }, (temp) => {
  cached = temp.registry;
  direct = new ObjectRegistry({ ...temp.deps, watchCache: false });
});

describe('LIST from the watch cache', () => {
  it('answers what the store answers, for namespaces and selectors, and follows writes at once', async () => {
    for (let i = 0; i < 12; i++)
      await cached.create(
        POD,
        pod(`p${String(i).padStart(2, '0')}`, i % 3 ? 'default' : 'other', i % 2 ? 'web' : 'db', i % 4 ? 'n1' : 'n2'),
      );
    const queries: ListOptions[] = [
      {},
      { namespace: 'default' },
      { namespace: 'other', labelSelector: 'app=db' },
      { labelSelector: 'app in (web)', fieldSelector: 'spec.nodeName=n1' },
      { fieldSelector: 'metadata.namespace!=default' },
    ];
    for (const q of queries) {
      const a = await cached.list(POD, q);
      const b = await direct.list(POD, q);
      expect(a.items).toEqual(b.items);
      expect(a.resourceVersion).toBe(b.resourceVersion);
    }
    // A consistent read after a write sees it (the cache waits for the store's revision).
    const created = await cached.create(POD, pod('late'));
    const after = await cached.list(POD, { namespace: 'default' });
    expect(names(after.items)).toContain('late');
    expect(after.resourceVersion).toBe(created.metadata.resourceVersion);
    await cached.delete(POD, 'default', 'late', { gracePeriodSeconds: 0 });
    expect(names((await cached.list(POD, { namespace: 'default' })).items)).not.toContain('late');
  });

  it('pages with continue tokens at the first page revision, with remainingItemCount', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await cached.create(POD, pod(n));
    const first = await cached.list(POD, { namespace: 'default', limit: 2 });
    expect(names(first.items)).toEqual(['a', 'b']);
    expect(first.remainingItemCount).toBe(3);
    expect(first.continue).toBeDefined();
    // Changes after the first page do not show on the next pages (Kubernetes' consistent pages).
    await cached.delete(POD, 'default', 'c', { gracePeriodSeconds: 0 });
    await cached.create(POD, pod('bb'));
    await cached.create(POD, pod('f'));
    const second = await cached.list(POD, { namespace: 'default', limit: 2, continue: first.continue! });
    expect(names(second.items)).toEqual(['c', 'd']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(second.remainingItemCount).toBe(1);
    const third = await cached.list(POD, { namespace: 'default', limit: 2, continue: second.continue! });
    expect(names(third.items)).toEqual(['e']);
    expect(third.continue).toBeUndefined();
    // A fresh list sees the changes.
    expect(names((await cached.list(POD, { namespace: 'default' })).items)).toEqual(['a', 'b', 'bb', 'd', 'e', 'f']);
  });

  it('pages through a selector without counting the remaining items', async () => {
    for (let i = 0; i < 10; i++) await cached.create(POD, pod(`p${i}`, 'default', i % 2 ? 'web' : 'db'));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await cached.list(POD, {
        labelSelector: 'app=web',
        limit: 2,
        ...(token ? { continue: token } : {}),
      });
      expect(page.remainingItemCount).toBeUndefined();
      seen.push(...names(page.items));
      token = page.continue;
    } while (token);
    expect(seen).toEqual(['p1', 'p3', 'p5', 'p7', 'p9']);
  });

  it('serves resourceVersionMatch=Exact from the history and refuses what it no longer holds', async () => {
    const a = await cached.create(POD, pod('a'));
    await cached.list(POD); // loads the cache
    const b = await cached.create(POD, pod('b'));
    await cached.update(POD, { ...b, metadata: { ...b.metadata, labels: { app: 'changed' } } });
    await cached.delete(POD, 'default', 'a', { gracePeriodSeconds: 0 });
    const atB = await cached.list(POD, { resourceVersion: b.metadata.resourceVersion!, resourceVersionMatch: 'Exact' });
    expect(atB.resourceVersion).toBe(b.metadata.resourceVersion);
    expect(names(atB.items)).toEqual(['a', 'b']);
    expect(atB.items[1]!.metadata.labels).toEqual({ app: 'web' });
    expect(atB.items[0]!.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    const now = await cached.list(POD, {});
    expect(names(now.items)).toEqual(['b']);
    // The history holds 50 changes (100 before trimming): push the revision of `a` out of it.
    for (let i = 0; i < 110; i++) await cached.create(POD, pod(`x${i}`, 'other'));
    await expect(
      cached.list(POD, { resourceVersion: a.metadata.resourceVersion!, resourceVersionMatch: 'Exact' }),
    ).rejects.toBeInstanceOf(GoneError);
  });

  it('waits for a newer resourceVersion and answers 504 when it does not come', async () => {
    await cached.create(POD, pod('a'));
    const current = Number((await cached.list(POD)).resourceVersion);
    const any = await cached.list(POD, { resourceVersion: '0' });
    expect(names(any.items)).toEqual(['a']);
    const older = await cached.list(POD, {
      resourceVersion: String(current - 1),
      resourceVersionMatch: 'NotOlderThan',
    });
    expect(Number(older.resourceVersion)).toBeGreaterThanOrEqual(current);
    // A write that lands while the list waits satisfies it.
    const waiting = cached.list(POD, { resourceVersion: String(current + 1) });
    await cached.create(POD, pod('b'));
    expect(names((await waiting).items)).toEqual(['a', 'b']);
    const err = await cached.list(POD, { resourceVersion: String(current + 100) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^Too large resource version: \d+, current: \d+$/);
  });

  it('validates resourceVersion, resourceVersionMatch and continue together, as Kubernetes does', async () => {
    await expect(cached.list(POD, { resourceVersionMatch: 'Exact' })).rejects.toBeInstanceOf(InvalidError);
    await expect(cached.list(POD, { resourceVersion: '0', resourceVersionMatch: 'Exact' })).rejects.toBeInstanceOf(
      InvalidError,
    );
    await expect(cached.list(POD, { resourceVersion: '1', resourceVersionMatch: 'Newest' })).rejects.toBeInstanceOf(
      InvalidError,
    );
    await expect(cached.list(POD, { resourceVersion: 'x' })).rejects.toBeInstanceOf(BadRequestError);
    for (const n of ['a', 'b']) await cached.create(POD, pod(n));
    const page = await cached.list(POD, { limit: 1 });
    await expect(cached.list(POD, { limit: 1, continue: page.continue!, resourceVersion: '5' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(
      cached.list(POD, { limit: 1, continue: page.continue!, resourceVersion: '5', resourceVersionMatch: 'Exact' }),
    ).rejects.toBeInstanceOf(InvalidError);
    // The same rules without the caches.
    await expect(direct.list(POD, { resourceVersionMatch: 'NotOlderThan' })).rejects.toBeInstanceOf(InvalidError);
  });

  it('reads an unpaged LIST of many objects in turns, with other work between them, at one revision', async () => {
    const many = Array.from({ length: 4500 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    for (let i = 0; i < many.length; i += 500)
      await Promise.all(many.slice(i, i + 500).map((n) => cached.create(POD, pod(n, 'default', 'bulk'))));
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const all = await cached.list(POD, { labelSelector: 'app=bulk' });
    // 4,500 keys at 2,000 a turn: the event loop ran between the turns.
    expect(otherWorkRan).toBe(true);
    expect(names(all.items)).toEqual(many);
    expect(all.items.every((o) => Number(o.metadata.resourceVersion) <= Number(all.resourceVersion))).toBe(true);
    expect((await direct.list(POD, { labelSelector: 'app=bulk' })).items).toEqual(all.items);
  }, 60_000);

  it('lists cluster-scoped kinds', async () => {
    const a = await cached.list(NS);
    expect(names(a.items)).toEqual(['default', 'other']);
  });
});

describe('watch from the watch cache', () => {
  it('replays from a recent resourceVersion and follows, with initial ADDED events without one', async () => {
    const a = await cached.create(POD, pod('a'));
    await cached.list(POD);
    await cached.create(POD, pod('b'));
    const events: Array<[string, string]> = [];
    const stop = await cached.watch(POD, { resourceVersion: a.metadata.resourceVersion! }, (e: WatchEvent) =>
      events.push([e.type, e.object.metadata.name ?? '']),
    );
    await cached.delete(POD, 'default', 'a', { gracePeriodSeconds: 0 });
    expect(events).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);
    stop();
    const fresh: Array<[string, string]> = [];
    const stop2 = await cached.watch(POD, { labelSelector: 'app=web' }, (e: WatchEvent) =>
      fresh.push([e.type, e.object.metadata.name ?? '']),
    );
    await cached.create(POD, pod('c'));
    expect(fresh).toEqual([
      ['ADDED', 'b'],
      ['ADDED', 'c'],
    ]);
    stop2();
  });
});

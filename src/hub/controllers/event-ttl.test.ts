import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GoneError, typeByKind, type Event, type KubeObject } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { EventTtlController } from './index.js';

const EVENT = typeByKind('v1', 'Event')!;
let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let now: number;
const clock = { now: () => now };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'event-ttl-'));
  now = Date.parse('2026-01-01T00:00:00Z');
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock, logger: silentLogger() });
  await api.ensureNamespace('default');
  await api.ensureNamespace('edge');
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A Scheduled Event `name` in `namespace`, last written at `at`. */
function scheduled(name: string, namespace: string, at: number): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: { kind: 'Pod', name, namespace },
    reason: 'Scheduled',
    message: 'assigned',
    type: 'Normal',
    firstTimestamp: new Date(at).toISOString(),
    lastTimestamp: new Date(at).toISOString(),
  };
}

const obj = (name: string, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `uid-${name}` },
});
const names = async (): Promise<string[]> =>
  (await api.list<Event>(EVENT)).items
    .map((e) => `${e.metadata.namespace}/${e.involvedObject.name}:${e.reason}`)
    .sort();

it('deletes Events whose last write is older than the TTL, in chunks, across namespaces; a bumped Event lives on', async () => {
  const rec = new EventRecorder({ api, clock, logger: silentLogger(), component: 'test' });
  for (let i = 0; i < 7; i++) await rec.record(obj(`old${i}`, i % 2 ? 'edge' : 'default'), 'Normal', 'Old', 'long ago');
  await rec.record(obj('flappy'), 'Warning', 'BackOff', 'restarting');
  now += 50 * 60_000; // 50 min later
  await rec.record(obj('flappy'), 'Warning', 'BackOff', 'restarting'); // same Event, count 2, fresh lastTimestamp
  await rec.record(obj('young'), 'Normal', 'Young', 'recent');
  const ttl = new EventTtlController({ api, clock, logger: silentLogger(), ttlSeconds: 3600, chunkSize: 2 });

  expect(await ttl.sweep()).toBe(0); // nothing is an hour old yet
  now += 15 * 60_000; // 65 min after the first batch
  expect(await ttl.sweep()).toBe(7);
  expect(await names()).toEqual(['default/flappy:BackOff', 'default/young:Young']);
  expect(await ttl.sweep()).toBe(0); // level-triggered: nothing left to do

  now += 60 * 60_000;
  expect(await ttl.sweep()).toBe(2);
  expect(await names()).toEqual([]);
});

it('a repeat of an expired Event records a new one', async () => {
  const rec = new EventRecorder({ api, clock, logger: silentLogger(), component: 'test' });
  await rec.record(obj('p'), 'Warning', 'BackOff', 'restarting');
  now += 2 * 3600_000;
  expect(await new EventTtlController({ api, clock, logger: silentLogger() }).sweep()).toBe(1);
  await rec.record(obj('p'), 'Warning', 'BackOff', 'restarting');
  const [e] = (await api.list<Event>(EVENT)).items;
  expect(e).toMatchObject({ reason: 'BackOff', count: 1 });
});

it('sweeps a namespace a page at a time, going on from the same Event when its continue token outlives the store history', async () => {
  // A store that keeps 100 revisions: deleting a page of 500 compacts past the page's continue token.
  const small = await SqliteStore.create({ path: join(dir, 'small.db'), logger: silentLogger(), historyLimit: 100 });
  try {
    const own = new ObjectRegistry({ store: small, clock, logger: silentLogger() });
    await own.ensureNamespace('default');
    const event = (name: string, at: number): Event => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', name, namespace: 'default' },
      reason: 'Scheduled',
      message: 'assigned',
      type: 'Normal',
      count: 1,
      firstTimestamp: new Date(at).toISOString(),
      lastTimestamp: new Date(at).toISOString(),
    });
    const old = now - 2 * 3600_000;
    // Keys in name order: the 700 old Events fill the first pages, the 500 young ones the last.
    const all = [
      ...Array.from({ length: 700 }, (_, i) => event(`a-${String(i).padStart(4, '0')}`, old)),
      ...Array.from({ length: 500 }, (_, i) => event(`b-${String(i).padStart(4, '0')}`, now)),
    ];
    await Promise.all(all.map((e) => own.create(EVENT, e)));
    const ttl = new EventTtlController({ api: own, clock, logger: silentLogger(), ttlSeconds: 3600 });
    expect(await ttl.sweep()).toBe(700);
    const left = (await own.list<Event>(EVENT, { namespace: 'default' })).items.map((e) => e.metadata.name);
    expect(left).toHaveLength(500);
    expect(left.every((n) => n?.startsWith('b-'))).toBe(true);
  } finally {
    await small.close();
  }
});

it('goes on through a namespace whose every continue token expires before it is used, and sweeps the others', async () => {
  const small = await SqliteStore.create({ path: join(dir, 'busy.db'), logger: silentLogger(), historyLimit: 100 });
  try {
    const own = new ObjectRegistry({ store: small, clock, logger: silentLogger() });
    for (const ns of ['aaa', 'zzz']) await own.ensureNamespace(ns);
    // `aaa`: 600 young Events, so its first page deletes nothing; `zzz`: 5 old ones.
    await Promise.all(Array.from({ length: 600 }, (_, i) => own.create(EVENT, scheduled(`y${i}`, 'aaa', now))));
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => own.create(EVENT, scheduled(`o${i}`, 'zzz', now - 2 * 3600_000))),
    );
    // A busy store: 150 writes land before every list with a token, so each page's token has expired
    // (100 revisions kept) by the time it is used; the 410's token, read as of now, does not expire.
    let writes = 0;
    const CM = typeByKind('v1', 'ConfigMap')!;
    const busy = new Proxy(own, {
      get(target, prop) {
        if (prop !== 'list') {
          const v: unknown = Reflect.get(target, prop);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        }
        return async (type: typeof EVENT, opts?: { continue?: string }) => {
          if (opts?.continue)
            await Promise.all(
              Array.from({ length: 150 }, () =>
                own.create(CM, {
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  metadata: { name: `w${writes++}`, namespace: 'aaa' },
                }),
              ),
            );
          return target.list(type, opts);
        };
      },
    });
    const ttl = new EventTtlController({ api: busy, clock, logger: silentLogger(), ttlSeconds: 3600 });
    expect(await ttl.sweep()).toBe(5);
    expect((await own.list<Event>(EVENT, { namespace: 'zzz' })).items).toHaveLength(0);
    expect((await own.list<Event>(EVENT, { namespace: 'aaa' })).items).toHaveLength(600);
    // `aaa`'s second page: its token expired (150 writes), then the 410's token (150 more) read it.
    expect(writes).toBe(2 * 150);
  } finally {
    await small.close();
  }
});

it('lists a namespace again from its start on a 410 without a token to go on with, and gives up after a few barren restarts', async () => {
  const own = api;
  for (const ns of ['aaa', 'zzz']) await own.ensureNamespace(ns);
  await Promise.all(Array.from({ length: 600 }, (_, i) => own.create(EVENT, scheduled(`y${i}`, 'aaa', now))));
  await Promise.all(
    Array.from({ length: 5 }, (_, i) => own.create(EVENT, scheduled(`o${i}`, 'zzz', now - 2 * 3600_000))),
  );
  let refused = 0;
  const gone = new Proxy(own, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop);
      if (prop !== 'list') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      return async (type: typeof EVENT, opts?: { continue?: string }) => {
        if (opts?.continue) {
          refused++;
          throw new GoneError('gone, and no token');
        }
        return target.list(type, opts);
      };
    },
  });
  const ttl = new EventTtlController({ api: gone, clock, logger: silentLogger(), ttlSeconds: 3600 });
  expect(await ttl.sweep()).toBe(5);
  expect(refused).toBe(4); // the first list's second page, then three restarts that deleted nothing
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { defaultSqliteDriver } from './default-driver.js';
import type { SqliteConnection, SqliteDriver } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';
import type { StoreEvent } from './types.js';

let dir: string;
const open = (historyLimit?: number) =>
  SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), historyLimit });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore', () => {
  it('creates, reads, updates with CAS and deletes', async () => {
    const s = await open();
    const r1 = await s.create('/registry/pods/default/a', { n: 1 });
    expect(r1).toBe(1);
    await expect(s.create('/registry/pods/default/a', { n: 2 })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await s.get('/registry/pods/default/a')).toEqual({
      key: '/registry/pods/default/a',
      value: { n: 1 },
      createRevision: 1,
      modRevision: 1,
    });
    const r2 = await s.update('/registry/pods/default/a', { n: 2 }, 1);
    expect(r2).toBe(2);
    await expect(s.update('/registry/pods/default/a', { n: 3 }, 1)).rejects.toBeInstanceOf(ConflictError);
    await expect(s.update('/registry/pods/default/zz', { n: 3 }, 1)).rejects.toBeInstanceOf(NotFoundError);
    expect((await s.get('/registry/pods/default/a'))?.createRevision).toBe(1);
    await expect(s.delete('/registry/pods/default/a', 1)).rejects.toBeInstanceOf(ConflictError);
    expect(await s.delete('/registry/pods/default/a', 2)).toBe(3);
    expect(await s.get('/registry/pods/default/a')).toBeUndefined();
    await expect(s.delete('/registry/pods/default/a')).rejects.toBeInstanceOf(NotFoundError);
    // Failed writes do not consume revisions.
    expect(await s.revision()).toBe(3);
    await s.close();
  });

  it('lists by prefix in key order without leaking neighbouring prefixes', async () => {
    const s = await open();
    await s.create('/registry/pods/default/b', 1);
    await s.create('/registry/pods/default/a', 2);
    await s.create('/registry/pods/default2/c', 3);
    await s.create('/registry/services/default/a', 4);
    const l = await s.list('/registry/pods/default/');
    expect(l.items.map((i) => i.key)).toEqual(['/registry/pods/default/a', '/registry/pods/default/b']);
    expect(l.revision).toBe(4);
    expect((await s.list('/registry/pods/')).items).toHaveLength(3);
    await s.close();
  });

  it('keeps the revision monotonic across reopen', async () => {
    let s = await open();
    await s.create('/k/a', 1);
    await s.create('/k/b', 1);
    await s.delete('/k/b');
    await s.close();
    s = await open();
    expect(await s.revision()).toBe(3);
    expect(await s.create('/k/c', 1)).toBe(4);
    await s.close();
  });

  it('replays history then streams live events, in order, without gap or duplicate', async () => {
    const s = await open();
    await s.create('/k/a', 1);
    await s.update('/k/a', 2, 1);
    await s.create('/other/x', 1);
    await s.delete('/k/a');
    const seen: StoreEvent[] = [];
    const stop = await s.watch('/k/', 1, (e) => {
      seen.push(e);
      // A watcher writing from its callback must not reorder anyone's events.
      if (e.key === '/k/b' && e.type === 'put' && e.created) void s.create('/k/c', 1);
    });
    await s.create('/k/b', 1);
    // The nested write joins the next group commit.
    await vi.waitFor(() => expect(seen).toHaveLength(4));
    expect(seen.map((e) => [e.revision, e.type, e.key, e.created])).toEqual([
      [2, 'put', '/k/a', false],
      [4, 'delete', '/k/a', false],
      [5, 'put', '/k/b', true],
      [6, 'put', '/k/c', true],
    ]);
    expect(seen[0]?.prevValue).toBe(1);
    expect(seen[1]?.value).toBe(2);
    stop();
    await s.create('/k/d', 1);
    expect(seen).toHaveLength(4);
    await s.close();
  });

  it('delivers concurrent writes to several watchers in the same order', async () => {
    const s = await open();
    const a: number[] = [];
    const b: number[] = [];
    await s.watch('/k/', 0, (e) => a.push(e.revision));
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`/k/${i}`, i)));
    await s.watch('/k/', 10, (e) => b.push(e.revision));
    await s.create('/k/last', 1);
    expect(a).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(b).toEqual(Array.from({ length: 41 }, (_, i) => i + 11));
    await s.close();
  });

  it('compacts history and answers Gone for a revision older than it, also after reopen', async () => {
    let s = await open(10);
    for (let i = 0; i < 30; i++) await s.create(`/k/${i}`, i);
    const compacted = await s.compactedRevision();
    expect(compacted).toBeGreaterThanOrEqual(30 - 11);
    expect(compacted).toBeLessThanOrEqual(20);
    await expect(s.watch('/k/', compacted - 1, () => {})).rejects.toBeInstanceOf(GoneError);
    const seen: number[] = [];
    await s.watch('/k/', compacted, (e) => seen.push(e.revision));
    expect(seen[0]).toBe(compacted + 1);
    expect(seen.at(-1)).toBe(30);
    await s.close();
    s = await open(10);
    expect(await s.compactedRevision()).toBe(compacted);
    await expect(s.watch('/k/', 0, () => {})).rejects.toBeInstanceOf(GoneError);
    await s.close();
  });

  it('opens the database in WAL mode, synchronous NORMAL (the store syncs the log itself), with a backstop checkpoint', async () => {
    // The real binding, with a handle on the connection it opened to ask SQLite itself.
    let conn: SqliteConnection | undefined;
    const real = defaultSqliteDriver();
    const driver: SqliteDriver = { name: real.name, open: (path) => (conn = real.open(path)) };
    const s = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), driver });
    const pragma = (name: string) =>
      Object.values(conn!.prepare<[], Record<string, unknown>>(`PRAGMA ${name}`).get()!)[0];
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(1); // NORMAL: the commit does not fsync; the store's own sync does
    expect(pragma('wal_autocheckpoint')).toBe(4000);
    await s.close();
  });

  it('group-commits the writes of one turn: one transaction, each refusal its own, all acknowledged after commit', async () => {
    const s = await open();
    await s.create('/k/taken', 0);
    const seen: number[] = [];
    await s.watch('/k/', 1, (e) => seen.push(e.revision));
    const writes = [
      s.create('/k/a', 1),
      s.create('/k/taken', 1), // refused: exists
      s.update('/k/taken', 2, 99), // refused: conflict
      s.create('/k/b', 1),
      s.update('/k/taken', 3, 1),
    ];
    // Nothing is acknowledged (or visible) before the group commit runs.
    expect(seen).toEqual([]);
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).constructor.name))).toEqual([
      2,
      'AlreadyExistsError',
      'ConflictError',
      3,
      4,
    ]);
    expect(seen).toEqual([2, 3, 4]);
    expect(await s.revision()).toBe(4);
    await s.close();
  });

  it('commits a burst larger than one batch in several transactions, in order', async () => {
    const s = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), maxBatch: 7 });
    const revs = await Promise.all(Array.from({ length: 30 }, (_, i) => s.create(`/k/${i}`, i)));
    expect(revs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await s.list('/k/')).items).toHaveLength(30);
    await s.close();
  });

  it('commits writes still waiting when it is closed', async () => {
    let s = await open();
    const pending = s.create('/k/late', 1);
    await s.close();
    expect(await pending).toBe(1);
    s = await open();
    expect((await s.get('/k/late'))?.value).toBe(1);
    await s.close();
  });
});

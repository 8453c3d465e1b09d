import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/poll.js';
import { defaultSqliteDriver } from './default-driver.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-sync-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A log sync held until the test lets it go, recording the descriptors it was asked to sync. */
function heldSync() {
  const waiting: Array<() => void> = [];
  return {
    waiting,
    sync: () => new Promise<void>((resolve) => waiting.push(resolve)),
    release: () => waiting.splice(0).forEach((r) => r()),
  };
}

const turn = () => new Promise((r) => setImmediate(r));

it('tells no writer, watcher or reader of a batch before its log sync has returned; no batch commits while a reader waits', async () => {
  const held = heldSync();
  const path = join(dir, 'hub.db');
  const s = await SqliteStore.create({ path, logger: silentLogger(), syncLog: held.sync });
  const other = defaultSqliteDriver().open(path);
  const committed = (key: string) =>
    other.prepare<[string], { key: string }>('SELECT key FROM objects WHERE key = ?').get(key) !== undefined;
  const seen: number[] = [];
  await s.watch('/k/', 0, (e) => seen.push(e.revision));
  let acked = false;
  const first = s.create('/k/a', 1).then((r) => ((acked = true), r));
  await until('the first batch to be syncing', () => held.waiting.length === 1, 5_000, 5);
  // Committed to SQLite, but not yet durable: nobody may learn of it.
  let read = false;
  const got = s.get('/k/a').then((v) => ((read = true), v));
  const second = s.create('/k/b', 2);
  for (let i = 0; i < 5; i++) await turn();
  expect({ acked, read, seen }).toEqual({ acked: false, read: false, seen: [] });
  expect(committed('/k/a')).toBe(true);
  expect(committed('/k/b')).toBe(false); // held back while the read waits

  held.release();
  expect(await first).toBe(1);
  expect((await got)?.value).toBe(1);
  expect(seen).toEqual([1]);
  // The second batch, committed after the first was durable.
  await until('the second batch to be syncing', () => held.waiting.length === 1, 5_000, 5);
  held.release();
  expect(await second).toBe(2);
  expect(seen).toEqual([1, 2]);
  other.close();
  await s.close();
});

it('answers its revision at once while a batch is syncing: the last durable write, which everyone has been told of', async () => {
  const held = heldSync();
  const s = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), syncLog: held.sync });
  const seen: number[] = [];
  await s.watch('/k/', 0, (e) => seen.push(e.revision));
  const first = s.create('/k/a', 1);
  await until('the first batch to be syncing', () => held.waiting.length === 1, 5_000, 5);
  expect(await s.revision()).toBe(0);
  held.release();
  expect(await first).toBe(1);
  // By the time the writer hears of it, the watchers have the event and the revision is its.
  expect(seen).toEqual([1]);
  expect(await s.revision()).toBe(1);
  await s.close();
});

it('reads a key no write is under way for at once while a batch syncs; a key being written waits for it', async () => {
  const held = heldSync();
  const s = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger(), syncLog: held.sync });
  const before = s.create('/k/old', 'old');
  await until('the first sync', () => held.waiting.length === 1, 5_000, 5);
  held.release();
  await before;
  const pending = s.update('/k/old', 'new', 1);
  const other = s.create('/k/new', 'x');
  await until('the batch to be syncing', () => held.waiting.length === 1, 5_000, 5);
  let waited = false;
  const old = s.get('/k/old').then((v) => ((waited = true), v));
  // The other key's write is under way too; a key never written is read at once.
  expect(await s.get('/k/none')).toBeUndefined();
  for (let i = 0; i < 3; i++) await turn();
  expect(waited).toBe(false);
  held.release();
  expect((await old)?.value).toBe('new');
  await Promise.all([pending, other]);
  expect((await s.get('/k/new'))?.modRevision).toBe(3);
  await s.close();
});

it('goes on committing while a sync is in flight; the next sync covers what committed meanwhile', async () => {
  const held = heldSync();
  const path = join(dir, 'hub.db');
  const s = await SqliteStore.create({ path, logger: silentLogger(), syncLog: held.sync });
  const other = defaultSqliteDriver().open(path);
  const committed = () =>
    other.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM objects WHERE key LIKE '/k/%'").get()?.n;
  const acked: string[] = [];
  const first = s.create('/k/a', 1).then(() => acked.push('a'));
  await until('the first batch to be syncing', () => held.waiting.length === 1, 5_000, 5);
  const second = s.create('/k/b', 2).then(() => acked.push('b'));
  // The second batch commits (another connection sees it) but is not acknowledged, nor synced yet.
  await until('the second batch to commit', () => committed() === 2, 5_000, 5);
  expect(held.waiting).toHaveLength(1);
  expect(acked).toEqual([]);
  held.release();
  await first;
  expect(acked).toEqual(['a']);
  await until('the second sync', () => held.waiting.length === 1, 5_000, 5);
  held.release();
  await second;
  expect(acked).toEqual(['a', 'b']);
  other.close();
  await s.close();
});

it('fails the store when its log cannot be synced, naming why, and refuses what follows', async () => {
  let calls = 0;
  const told: Error[] = [];
  const s = await SqliteStore.create({
    path: join(dir, 'hub.db'),
    logger: silentLogger(),
    onFailure: (err) => told.push(err),
    syncLog: () => {
      calls += 1;
      if (calls === 1) return Promise.resolve();
      return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    },
  });
  await s.create('/k/a', 1);
  const failed = s.create('/k/b', 2);
  await expect(failed).rejects.toBeInstanceOf(ServiceUnavailableError);
  await expect(failed).rejects.toThrow(/write-ahead log could not be synced to disk \(EIO: i\/o error, fdatasync\)/);
  await expect(s.get('/k/a')).rejects.toThrow(/write-ahead log could not be synced/);
  await expect(s.create('/k/c', 3)).rejects.toThrow(/write-ahead log could not be synced/);
  // Its owner is told once, however many writes fail after.
  await until('the owner told', () => told.length > 0, 5_000, 5);
  expect(told.map((e) => e.message)).toEqual([expect.stringMatching(/write-ahead log could not be synced/)]);
  await s.close();
  expect(told).toHaveLength(1);
});

it('tells its owner of no failure when it is closed', async () => {
  const told: Error[] = [];
  const s = await SqliteStore.create({
    path: join(dir, 'hub.db'),
    logger: silentLogger(),
    onFailure: (e) => told.push(e),
  });
  await s.create('/k/a', 1);
  await s.close();
  await turn();
  expect(told).toEqual([]);
});

it('checkpoints on its worker thread while open: the database file fills long before the backstop would', async () => {
  const path = join(dir, 'hub.db');
  const s = await SqliteStore.create({ path, logger: silentLogger(), checkpointAfterBytes: 64 * 1024 });
  const value = { spec: 'x'.repeat(2000) };
  const empty = statSync(path).size;
  for (let round = 0; round < 10; round++) {
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`/k/${round}/${i}`, value)));
  }
  // ~1 MB written: far under the backstop's 4,000 pages, so only the worker copies it into the file.
  await until('the database file to fill', () => statSync(path).size > empty + 500 * 2000, 30_000, 20);
  expect((await s.list('/k/')).items).toHaveLength(500);
  await s.close();
  const reopened = await SqliteStore.create({ path, logger: silentLogger() });
  expect((await reopened.list('/k/')).items).toHaveLength(500);
  await reopened.close();
});

it('refuses writes once close() has begun, so a watcher that writes on each event cannot hold it open', async () => {
  const s = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  let refused: unknown;
  let n = 0;
  await s.watch('/k/', 0, () => {
    n += 1;
    s.create(`/k/${n}`, n).catch((err: unknown) => (refused = err));
  });
  await s.create('/k/0', 0);
  await s.close();
  expect(n).toBeGreaterThan(0);
  await until('the refused write', () => refused, 5_000, 5);
  expect(refused).toBeInstanceOf(ServiceUnavailableError);
  expect(String(refused)).toMatch(/store is closing/);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CommitThread } from './commit-thread.js';
import { defaultSqliteDriver } from './default-driver.js';
import { SCHEMA } from './sqlite-rows.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'commit-thread-'));
  path = join(dir, 'hub.db');
  const db = defaultSqliteDriver().open(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(SCHEMA);
  db.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const start = () => CommitThread.start({ path, driver: defaultSqliteDriver().name, historyLimit: 1000 });

it('commits the batches it is sent on its own connection, answering each in the order sent', async () => {
  const thread = start();
  await thread.ready;
  const batches = Array.from({ length: 20 }, (_, b) =>
    thread.commit(Array.from({ length: 5 }, (_, i) => ({ op: 'create' as const, key: `/k/${b}/${i}`, value: `${i}` }))),
  );
  const results = await Promise.all(batches);
  expect(results.map((r) => r.revision)).toEqual(Array.from({ length: 20 }, (_, b) => 5 * (b + 1)));
  expect(results[3]?.results[0]).toEqual({ ok: true, rev: 16, created: true, prev: null });
  // Another connection sees what it committed.
  const other = defaultSqliteDriver().open(path);
  expect(other.prepare('SELECT COUNT(*) AS n FROM objects').get()).toEqual({ n: 100 });
  other.close();
  await thread.close();
  await expect(thread.commit([{ op: 'delete', key: '/k/0/0' }])).rejects.toThrow('the store is closed');
});

it('rejects a batch whose transaction failed with SQLite’s reason, and commits the next', async () => {
  const thread = start();
  await thread.commit([{ op: 'create', key: '/k/a', value: '1' }]);
  const other = defaultSqliteDriver().open(path);
  other.exec('ALTER TABLE events RENAME TO events_away');
  await expect(thread.commit([{ op: 'create', key: '/k/b', value: '2' }])).rejects.toThrow(/events/);
  other.exec('ALTER TABLE events_away RENAME TO events');
  other.close();
  const next = await thread.commit([{ op: 'create', key: '/k/b', value: '2' }]);
  expect(next.results).toEqual([{ ok: true, rev: 2, created: true, prev: null }]);
  await thread.close();
});

it('fails, naming why, when its connection cannot open the database: batches sent meanwhile are refused', async () => {
  const thread = CommitThread.start({
    path: join(dir, 'missing', 'hub.db'),
    driver: defaultSqliteDriver().name,
    historyLimit: 10,
  });
  const failures: Error[] = [];
  thread.onFailure((err) => failures.push(err));
  const sent = thread.commit([{ op: 'create', key: '/k/a', value: '1' }]);
  const why =
    /commit worker could not open the database: (Cannot open database because the directory does not exist|unable to open database file)/;
  await expect(thread.ready).rejects.toThrow(why);
  await expect(sent).rejects.toThrow(why);
  expect(failures.map((e) => e.message)).toEqual([expect.stringMatching(why)]);
  await thread.close();
});

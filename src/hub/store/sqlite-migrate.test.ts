import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { defaultSqliteDriver } from './default-driver.js';
import type { SqliteDriver } from './sqlite-driver.js';
import { migrateObjectsToRowid } from './sqlite-migrate.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The schema hubs created before `objects` became a rowid table, as they wrote it. */
const OLD_SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, prev TEXT, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`;

const objectsSql = (path: string): string => {
  const db = defaultSqliteDriver().open(path);
  try {
    return db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'objects'").get()!.sql;
  } finally {
    db.close();
  }
};

/** A store as an older hub left it: 300 objects of ~3 KB (overflowing WITHOUT ROWID pages), revision 300. */
function writeOldStore(path: string): void {
  const old = defaultSqliteDriver().open(path);
  old.exec('PRAGMA journal_mode = WAL');
  old.exec(OLD_SCHEMA);
  const value = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(3000) });
  old.exec('BEGIN');
  for (let i = 1; i <= 300; i++) {
    const key = `/registry/things/t${String(i).padStart(3, '0')}`;
    old
      .prepare<[string, string, number, number]>(
        'INSERT INTO objects (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)',
      )
      .run(key, value(i), i, i);
    old
      .prepare<[number, string, string, string, null, number]>(
        'INSERT INTO events (rev, key, type, value, prev, created) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(i, key, 'put', value(i), null, 1);
  }
  old.prepare<[number]>("UPDATE meta SET value = ? WHERE name = 'revision'").run(300);
  old.exec('COMMIT');
  old.close();
}

it('converts an older store’s objects table to a rowid table, keeping every object, revision and watch', async () => {
  const path = join(dir, 'hub.db');
  writeOldStore(path);
  expect(objectsSql(path)).toMatch(/WITHOUT ROWID/);

  const store = await SqliteStore.create({ path, logger: silentLogger() });
  expect(objectsSql(path)).not.toMatch(/ROWID/);
  expect(await store.revision()).toBe(300);
  const listed = await store.list('/registry/things/');
  expect(listed.items.map((i) => (i.value as { i: number }).i)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  expect(await store.get('/registry/things/t042')).toMatchObject({ createRevision: 42, modRevision: 42 });
  // Writes go on from the revision it had, with the same checks; a watch resumes from its history.
  const seen: number[] = [];
  await store.watch('/registry/things/', 299, (e) => seen.push(e.revision));
  await expect(store.update('/registry/things/t042', { i: 42, again: true }, 42)).resolves.toBe(301);
  await expect(store.update('/registry/things/t042', { i: 0 }, 42)).rejects.toThrow(/has been modified/);
  await expect(store.create('/registry/things/t001', {})).rejects.toThrow(/exists/);
  expect(seen).toEqual([300, 301]);
  await store.close();

  // Converted once: a reopen finds a rowid table and moves nothing.
  const again = defaultSqliteDriver().open(path);
  try {
    expect(migrateObjectsToRowid(again, silentLogger())).toBe(0);
  } finally {
    again.close();
  }
  const reopened = await SqliteStore.create({ path, logger: silentLogger() });
  expect(await reopened.get('/registry/things/t042')).toMatchObject({ modRevision: 301, value: { again: true } });
  await reopened.close();
});

it('creates a new store with a rowid objects table', async () => {
  const path = join(dir, 'new.db');
  const store = await SqliteStore.create({ path, logger: silentLogger() });
  await store.close();
  expect(objectsSql(path)).toMatch(
    /^CREATE TABLE objects \(key TEXT NOT NULL PRIMARY KEY,.*mod_rev INTEGER NOT NULL\)$/,
  );
});

it('leaves the old table as it was when the conversion fails, opens the store on it, and converts at the next start', async () => {
  const path = join(dir, 'hub.db');
  writeOldStore(path);
  // The real binding, failing the rename (as a full disk would fail a step): the transaction rolls back.
  const real = defaultSqliteDriver();
  const failing: SqliteDriver = {
    name: real.name,
    open: (p) => {
      const conn = real.open(p);
      return {
        exec: (sql) => {
          if (sql.startsWith('ALTER TABLE')) throw new Error('database or disk is full');
          conn.exec(sql);
        },
        prepare: (sql) => conn.prepare(sql),
        get inTransaction() {
          return conn.inTransaction;
        },
        close: () => conn.close(),
      };
    },
  };
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const store = await SqliteStore.create({ path, logger, driver: failing });
  expect(lines.join('')).toContain('could not convert the objects table');
  expect(lines.join('')).toContain('database or disk is full');
  expect((await store.list('/registry/things/')).items).toHaveLength(300);
  await expect(store.update('/registry/things/t007', { i: 7, again: true }, 7)).resolves.toBe(301);
  await store.close();
  expect(objectsSql(path)).toMatch(/WITHOUT ROWID/);

  const next = await SqliteStore.create({ path, logger: silentLogger() });
  expect(objectsSql(path)).not.toMatch(/ROWID/);
  expect((await next.list('/registry/things/')).items).toHaveLength(300);
  expect(await next.get('/registry/things/t007')).toMatchObject({ modRevision: 301, value: { again: true } });
  await next.close();
});

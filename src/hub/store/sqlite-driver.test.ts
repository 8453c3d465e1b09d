import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { defaultSqliteDriver } from './default-driver.js';
import type { SqliteConnection } from './sqlite-driver.js';

// The contract the store relies on, checked on the binding the running Node gets.
const driver = defaultSqliteDriver();
let dir: string;
let db: SqliteConnection;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-driver-'));
  db = driver.open(join(dir, 'test.db'));
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, v TEXT)');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

it('is node:sqlite where Node has it complete (22.16+, 23.x, 24+), better-sqlite3 before', () => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const hasNodeSqlite = major > 22 || (major === 22 && minor >= 16);
  expect(driver.name).toBe(hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
});

it('binds positional parameters and reads rows by column name', () => {
  const insert = db.prepare<[string, number, string | null]>('INSERT INTO t (k, n, v) VALUES (?, ?, ?)');
  insert.run('a', 1, 'x');
  insert.run('b', 2, null);
  const one = db.prepare<[string], { k: string; n: number; v: string | null }>('SELECT * FROM t WHERE k = ?');
  expect({ ...one.get('a') }).toEqual({ k: 'a', n: 1, v: 'x' });
  expect({ ...one.get('b') }).toEqual({ k: 'b', n: 2, v: null });
  expect(one.get('zz')).toBeUndefined();
  const all = db.prepare<[number], { k: string }>('SELECT k FROM t WHERE n >= ? ORDER BY k').all(1);
  expect(all.map((r) => r.k)).toEqual(['a', 'b']);
  expect(db.prepare<[number]>('SELECT k FROM t WHERE n > ?').all(5)).toEqual([]);
});

it('reports the transaction state, also after a failed statement', () => {
  expect(db.inTransaction).toBe(false);
  db.exec('BEGIN IMMEDIATE');
  expect(db.inTransaction).toBe(true);
  db.prepare<[string]>('INSERT INTO t (k) VALUES (?)').run('a');
  // A constraint violation fails the statement, not the transaction.
  expect(() => db.prepare<[string]>('INSERT INTO t (k) VALUES (?)').run('a')).toThrow(/UNIQUE/);
  expect(db.inTransaction).toBe(true);
  db.exec('ROLLBACK');
  expect(db.inTransaction).toBe(false);
  expect(db.prepare('SELECT * FROM t').all()).toEqual([]);
  db.exec('BEGIN IMMEDIATE');
  db.prepare<[string]>('INSERT INTO t (k) VALUES (?)').run('b');
  db.exec('COMMIT');
  expect(db.inTransaction).toBe(false);
  expect(
    db
      .prepare<[], { k: string }>('SELECT k FROM t')
      .all()
      .map((r) => r.k),
  ).toEqual(['b']);
});

it('keeps committed rows across close and reopen', () => {
  db.prepare<[string]>('INSERT INTO t (k) VALUES (?)').run('kept');
  db.close();
  db = driver.open(join(dir, 'test.db'));
  expect(
    db
      .prepare<[], { k: string }>('SELECT k FROM t')
      .all()
      .map((r) => r.k),
  ).toEqual(['kept']);
});

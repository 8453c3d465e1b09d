import { expect, it } from 'vitest';
import { defaultSqliteDriver } from './default-driver.js';
import { SCHEMA } from './sqlite-rows.js';
import { SqliteWriter } from './sqlite-writer.js';

function open(historyLimit = 100) {
  const db = defaultSqliteDriver().open(':memory:');
  db.exec(SCHEMA);
  return { db, writer: new SqliteWriter(db, historyLimit) };
}

it('applies a batch in one transaction: each write its revision, the values replaced, each refusal its own', () => {
  const { db, writer } = open();
  const r = writer.apply([
    { op: 'create', key: '/k/a', value: '{"v":1}' },
    { op: 'create', key: '/k/a', value: '{"v":2}' },
    { op: 'update', key: '/k/a', value: '{"v":3}', expected: 1 },
    { op: 'update', key: '/k/a', value: '{"v":4}', expected: 1 },
    { op: 'update', key: '/k/none', value: '{}', expected: 1 },
    { op: 'delete', key: '/k/a', expected: 2 },
    { op: 'delete', key: '/k/none' },
  ]);
  expect(r.results).toEqual([
    { ok: true, rev: 1, created: true, prev: null },
    { ok: false, refusal: 'exists' },
    { ok: true, rev: 2, created: false, prev: '{"v":1}' },
    { ok: false, refusal: 'conflict', current: 2 },
    { ok: false, refusal: 'missing' },
    { ok: true, rev: 3, created: false, prev: '{"v":3}' },
    { ok: false, refusal: 'missing' },
  ]);
  expect(r.revision).toBe(3);
  expect(r.bytes).toBeGreaterThan(0);
  const events = db
    .prepare<[], { rev: number; type: string; value: string }>('SELECT rev, type, value FROM events')
    .all();
  expect(events).toEqual([
    { rev: 1, type: 'put', value: '{"v":1}' },
    { rev: 2, type: 'put', value: '{"v":3}' },
    { rev: 3, type: 'delete', value: '{"v":3}' },
  ]);
  expect(db.prepare("SELECT value FROM meta WHERE name = 'revision'").get()).toEqual({ value: 3 });
  db.close();
});

it('rolls the whole batch back when its transaction fails, restoring the counters, and goes on after', () => {
  const { db, writer } = open();
  writer.apply([{ op: 'create', key: '/k/a', value: '1' }]);
  // A failure that is not a write's own refusal: the events table gone under the writer.
  db.exec('ALTER TABLE events RENAME TO events_away');
  expect(() =>
    writer.apply([
      { op: 'create', key: '/k/b', value: '2' },
      { op: 'create', key: '/k/c', value: '3' },
    ]),
  ).toThrow(/events/);
  expect(writer.revision).toBe(1);
  expect(db.prepare<[], { key: string }>('SELECT key FROM objects').all()).toEqual([{ key: '/k/a' }]);
  db.exec('ALTER TABLE events_away RENAME TO events');
  expect(writer.apply([{ op: 'create', key: '/k/b', value: '2' }]).results).toEqual([
    { ok: true, rev: 2, created: true, prev: null },
  ]);
  db.close();
});

it('compacts the history in batches of a tenth of its limit, and reopens with the counters it left', () => {
  const { db, writer } = open(50);
  for (let i = 1; i <= 100; i++) writer.apply([{ op: 'create', key: `/k/${i}`, value: String(i) }]);
  // Compacted once 55 events are kept, down to 50: at revisions 55 (to 5), 60, … 100 (to 50).
  expect(writer.compacted).toBe(50);
  expect(db.prepare('SELECT MIN(rev) AS lo, COUNT(*) AS n FROM events').get()).toEqual({ lo: 51, n: 50 });
  writer.apply([{ op: 'create', key: '/k/101', value: '101' }]);
  expect(writer.compacted).toBe(50);
  const again = new SqliteWriter(db, 50);
  expect({ revision: again.revision, compacted: again.compacted }).toEqual({ revision: 101, compacted: 50 });
  db.close();
});

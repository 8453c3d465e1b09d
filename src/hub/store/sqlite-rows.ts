/** The SQLite store's tables (sqlite-store.ts): their schema, their rows, and the rows as the Store contract's values. */
import type { SqliteConnection } from './sqlite-driver.js';
import type { StoreEvent, StoredValue } from './types.js';

/** A row of `objects`: a key's current value. */
export interface ObjectRow {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
}

/** A row of `events`: the log watches resume from. */
export interface EventRow {
  rev: number;
  key: string;
  type: 'put' | 'delete';
  value: string;
  prev: string | null;
  created: number;
}

/** The columns of `objects` (also what `sqlite-migrate.ts` converts an older table into). */
export const OBJECTS_COLUMNS =
  'key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL';

/**
 * The tables, and the counters' first values. `objects` is a rowid table (its key a unique index):
 * its rows are whole objects of a few KiB, and a WITHOUT ROWID table keeps at most ~1 KiB of a row in
 * its B-tree page, so every read of an object went through a chain of overflow pages, read with one
 * `pread` each (`sqlite-migrate.ts` converts a store created before).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (${OBJECTS_COLUMNS});
CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, prev TEXT, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`;

/** Smallest string greater than every string starting with `prefix` ('' = no upper bound). */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10FFFF}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The counters in `meta`: the last revision written, and the history's compaction point. */
export function readCounters(db: SqliteConnection): { revision: number; compacted: number } {
  const meta = db.prepare<[], { name: string; value: number }>('SELECT name, value FROM meta').all();
  return {
    revision: meta.find((m) => m.name === 'revision')?.value ?? 0,
    compacted: meta.find((m) => m.name === 'compacted')?.value ?? 0,
  };
}

/** An object row as the Store contract returns it. */
export function toStored(row: ObjectRow): StoredValue {
  return { key: row.key, value: JSON.parse(row.value), createRevision: row.create_rev, modRevision: row.mod_rev };
}

/** An event row as the Store contract returns it. */
export function toEvent(row: EventRow): StoreEvent {
  const e: StoreEvent = {
    type: row.type,
    key: row.key,
    value: JSON.parse(row.value),
    revision: row.rev,
    created: row.created === 1,
  };
  if (row.prev !== null) lazyPrevValue(e, row.prev);
  return e;
}

/**
 * Gives `e` a `prevValue` parsed from `json` on its first read. Each update's event carries the object
 * it replaced, but only a watch with a selector (an object leaving it) or one indexed by field reads it:
 * parsing it up front was a second JSON.parse on every update of a rollout's commits, mostly for nobody.
 */
export function lazyPrevValue(e: StoreEvent, json: string): void {
  // The text until the first read, then the parsed value (the text is let go: events stay in histories).
  let pending: string | undefined = json;
  let parsed: unknown;
  Object.defineProperty(e, 'prevValue', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (pending !== undefined) {
        parsed = JSON.parse(pending);
        pending = undefined;
      }
      return parsed;
    },
    set: (v: unknown) => {
      parsed = v;
      pending = undefined;
    },
  });
}

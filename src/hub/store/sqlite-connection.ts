/** How the SQLite store sets up each connection that writes, and its prepared statements. */
import type { SqlValue, SqliteConnection, SqliteStatement } from './sqlite-driver.js';

/**
 * The writing connection's own checkpoint threshold, in pages: a backstop should the checkpoint worker
 * lag or fail. The worker backfills most of the log, so this checkpoint copies only its tail; and it is
 * the one that lets the log restart under a steady write load, since a checkpoint that runs while
 * writes go on never finds the log fully copied.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 4000;

/** The store's settings for a connection (WAL itself is a property of the file, set when it is created). */
export function configureConnection(db: SqliteConnection): void {
  // NORMAL: a commit writes the log without an fsync. On its own that could lose the last commits on
  // power loss (it survives kill -9); the store syncs the log itself after each commit, off the event
  // loop, and tells no one of a write before that (sqlite-store.ts). Edge hubs lose power.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  db.exec('PRAGMA busy_timeout = 5000');
}

/** Prepared statements of `db`, each compiled on first use and kept. */
export function statementCache(db: SqliteConnection) {
  const stmts = new Map<string, SqliteStatement<SqlValue[], unknown>>();
  return {
    get<P extends SqlValue[], R = unknown>(sql: string): SqliteStatement<P, R> {
      let st = stmts.get(sql);
      if (!st) {
        st = db.prepare<SqlValue[], unknown>(sql);
        stmts.set(sql, st);
      }
      return st as unknown as SqliteStatement<P, R>;
    },
    clear: () => stmts.clear(),
  };
}

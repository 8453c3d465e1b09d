/**
 * The better-sqlite3 binding, for Node versions without `node:sqlite` (Node 20).
 *
 * Loaded lazily, on first open: better-sqlite3 12 must never be loaded on Node >= 24.19, where the
 * garbage collection of any of its Database or Statement objects aborts the process (its objects are
 * `node::ObjectWrap`s, whose destructor there asserts a current Environment; WiseLibs/better-sqlite3#1515).
 * better-sqlite3 13 moved off ObjectWrap but requires Node >= 22, and Node 22 and later have `node:sqlite`.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlValue, SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';

const require = createRequire(import.meta.url);

/** better-sqlite3, wrapped to the store's `SqliteDriver` surface. */
export const betterSqlite3Driver: SqliteDriver = {
  name: 'better-sqlite3',
  open(path: string): SqliteConnection {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(path);
    return {
      exec: (sql) => void db.exec(sql),
      prepare<P extends SqlValue[], R>(sql: string): SqliteStatement<P, R> {
        const st = db.prepare<P, R>(sql);
        return {
          get: (...params) => st.get(...params),
          all: (...params) => st.all(...params),
          run: (...params) => void st.run(...params),
        };
      },
      get inTransaction() {
        return db.inTransaction;
      },
      close: () => void db.close(),
    };
  },
};

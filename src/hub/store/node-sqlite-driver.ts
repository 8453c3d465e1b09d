/**
 * The `node:sqlite` binding (`DatabaseSync`), built into Node since 22.13 without a flag: no native
 * addon to compile or match to the Node ABI, and its objects are safe to garbage-collect on every Node
 * version (better-sqlite3 12's are not on Node >= 24.19; see better-sqlite3-driver.ts).
 */
import { withoutSqliteExperimentalWarning } from './experimental-warning.js';
import type { SqlValue, SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';

/** The part of `node:sqlite` used here (@types/node 20, the oldest Node we support, does not declare it). */
interface NodeSqlite {
  DatabaseSync: new (path: string) => DatabaseSync;
}

interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): StatementSync;
  close(): void;
  /** Node >= 22.16 and 24.0. */
  readonly isTransaction?: boolean;
}

interface StatementSync {
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
  run(...params: SqlValue[]): unknown;
}

function isNodeSqlite(mod: unknown): mod is NodeSqlite {
  return typeof mod === 'object' && mod !== null && 'DatabaseSync' in mod && typeof mod.DatabaseSync === 'function';
}

/**
 * `node:sqlite` if the running Node has it with everything the store needs, else undefined (Node 20;
 * Node 22 before 22.13 without `--experimental-sqlite`; 22.13–22.15, which lack `isTransaction`).
 */
function loadNodeSqlite(): NodeSqlite | undefined {
  const mod = withoutSqliteExperimentalWarning(() => process.getBuiltinModule('node:sqlite'));
  if (!isNodeSqlite(mod)) return undefined;
  // `isTransaction` is an instance property: ask a throw-away in-memory database.
  const probe = new mod.DatabaseSync(':memory:');
  try {
    return typeof probe.isTransaction === 'boolean' ? mod : undefined;
  } finally {
    probe.close();
  }
}

function wrap(db: DatabaseSync): SqliteConnection {
  return {
    exec: (sql) => db.exec(sql),
    prepare<P extends SqlValue[], R>(sql: string): SqliteStatement<P, R> {
      const st = db.prepare(sql);
      // Rows come back as plain objects keyed by column name; `R` names the columns the SQL selects.
      return {
        get: (...params) => st.get(...params) as R | undefined,
        all: (...params) => st.all(...params) as R[],
        run: (...params) => void st.run(...params),
      };
    },
    get inTransaction() {
      return db.isTransaction === true;
    },
    close: () => db.close(),
  };
}

/** The `node:sqlite` driver, or undefined when the running Node cannot provide it. */
export function nodeSqliteDriver(): SqliteDriver | undefined {
  const sqlite = loadNodeSqlite();
  if (!sqlite) return undefined;
  return { name: 'node:sqlite', open: (path) => wrap(new sqlite.DatabaseSync(path)) };
}

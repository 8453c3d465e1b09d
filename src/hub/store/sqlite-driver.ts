/**
 * The narrow SQLite surface the store uses, so the one store (and its SQL) runs on whichever SQLite
 * binding the running Node can use safely: `node:sqlite` where Node has it, better-sqlite3 on Node 20.
 * Deliberately small: exec, prepared statements with positional parameters, the transaction flag, close.
 */

/** A value bound to a `?` parameter or read from a column (the store keeps JSON in TEXT columns). */
export type SqlValue = string | number | null;

/** A prepared statement. `R` is the row shape the statement's SQL produces (trusted, not validated). */
export interface SqliteStatement<P extends SqlValue[], R> {
  /** The first row, or undefined when there is none. */
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): void;
}

/** One open database connection. Synchronous: the store is a single process holding one connection. */
export interface SqliteConnection {
  /** Runs one or more statements, discarding any rows (schema, PRAGMAs, BEGIN/COMMIT/ROLLBACK). */
  exec(sql: string): void;
  prepare<P extends SqlValue[] = [], R = unknown>(sql: string): SqliteStatement<P, R>;
  /** True inside an explicit transaction; false once SQLite ended it (also when it rolled back by itself). */
  readonly inTransaction: boolean;
  /** Closes the connection; its statements are finalised with it. */
  close(): void;
}

/** A SQLite binding. */
export interface SqliteDriver {
  /** For logs and tests: which binding this is. */
  readonly name: 'node:sqlite' | 'better-sqlite3';
  /** Opens (or creates) the database file at `path`; `:memory:` for a throw-away database. */
  open(path: string): SqliteConnection;
}

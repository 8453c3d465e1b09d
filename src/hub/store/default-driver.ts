/** Which SQLite binding the store uses when none is passed in. */
import { betterSqlite3Driver } from './better-sqlite3-driver.js';
import { nodeSqliteDriver } from './node-sqlite-driver.js';
import type { SqliteDriver } from './sqlite-driver.js';

let chosen: SqliteDriver | undefined;

/**
 * `node:sqlite` wherever the running Node has it (22.16+, 24, later), better-sqlite3 otherwise (Node 20).
 * Chosen by what the runtime provides, not by its version number; decided once per process.
 */
export function defaultSqliteDriver(): SqliteDriver {
  chosen ??= nodeSqliteDriver() ?? betterSqlite3Driver;
  return chosen;
}

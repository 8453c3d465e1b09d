/**
 * Converts a store's `objects` table created WITHOUT ROWID (hubs before the twenty-seventh session)
 * into the rowid table `SCHEMA` now creates. SQLite keeps at most ~1 KiB of a WITHOUT ROWID row in
 * its B-tree page (the rest in overflow pages, read one `pread` at a time); a rowid table keeps up to
 * ~4 KiB, so an object of a few KiB is read from one or two pages: a read of a 2.5 KB object took
 * 65 µs, now 18 µs (`docs/benchmarks.md`).
 *
 * One transaction: the copy, the drop and the rename commit together or not at all, so a hub killed
 * during it reopens the store as it was and converts it again. The old table works with the same SQL,
 * only slower, so a conversion that fails (a disk without room for the copy) is logged and the hub goes
 * on with the table it has, rather than refusing to start where it ran before. An older hub reads the
 * converted table with the same SQL (a PRIMARY KEY is a unique index on a rowid table): a downgrade
 * needs nothing.
 */
import { errorMessage, type Logger } from '../../api/index.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { OBJECTS_COLUMNS } from './sqlite-rows.js';

/** Whether `objects` is still the WITHOUT ROWID table of older stores. */
function objectsWithoutRowid(db: SqliteConnection): boolean {
  const row = db
    .prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'")
    .get();
  return row !== undefined && /\bWITHOUT\s+ROWID\b/i.test(row.sql);
}

/**
 * Converts `objects` to a rowid table if it is not one yet; returns the number of rows it moved (0 when
 * there was nothing to convert, or the conversion failed and was rolled back: logged as a warning).
 */
export function migrateObjectsToRowid(db: SqliteConnection, logger: Logger): number {
  if (!objectsWithoutRowid(db)) return 0;
  const rows = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM objects').get()?.n ?? 0;
  // Logged first: a large store takes seconds, which should not look like a hung start.
  logger.info({ objects: rows }, 'store: converting the objects table to a rowid table');
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(`CREATE TABLE objects_rowid (${OBJECTS_COLUMNS})`);
      db.exec(
        'INSERT INTO objects_rowid (key, value, create_rev, mod_rev) SELECT key, value, create_rev, mod_rev FROM objects ORDER BY key',
      );
      db.exec('DROP TABLE objects');
      db.exec('ALTER TABLE objects_rowid RENAME TO objects');
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  } catch (err) {
    logger.warn(
      { err: errorMessage(err) },
      'store: could not convert the objects table (left as it was, which works, only slower); the next start tries again',
    );
    return 0;
  }
  logger.info({ objects: rows }, 'store: objects table converted');
  return rows;
}

/**
 * The embedded default `Store`: SQLite (through `node:sqlite`, or better-sqlite3 on Node 20: see
 * default-driver.ts), in WAL mode with `synchronous=FULL` so every acknowledged write is on disk
 * (survives kill -9 and power loss). One table holds the current objects, another the event log
 * watches resume from; one persisted revision counter. Writes are group-committed (group-commit.ts):
 * those of one event-loop turn share a transaction and its fsync, and each is acknowledged after it.
 */
// The Store contract is async (the etcd backend answers over the network); SQLite answers synchronously,
// and `async` keeps a thrown error a rejection, as callers of the contract expect.
/* eslint-disable @typescript-eslint/require-await */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  NotFoundError,
  ServiceUnavailableError,
  type Logger,
} from '../../api/index.js';
import { defaultSqliteDriver } from './default-driver.js';
import { Fanout } from './fanout.js';
import { GroupCommit, type WriteOutcome } from './group-commit.js';
import type { SqlValue, SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';
import { migrateObjectsToRowid } from './sqlite-migrate.js';
import { SCHEMA, isRefusal, prefixEnd, toEvent, toStored, type EventRow, type ObjectRow } from './sqlite-rows.js';
import type { ListRange, ListResult, Store, StoreEvent, StoredValue } from './types.js';

/** Options of `SqliteStore.create`. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` for throw-away stores. Its directory is created if missing. */
  path: string;
  logger: Logger;
  /** Events kept for watch resume (default 10 000). Older revisions get 410 Gone. */
  historyLimit?: number;
  /** SQLite binding (default: the one the running Node can use, `defaultSqliteDriver()`). */
  driver?: SqliteDriver;
  /** Most writes one group commit holds (default 500). */
  maxBatch?: number;
}

/** SQLite implementation of `Store`. Single process; all methods are safe to call concurrently. */
export class SqliteStore implements Store {
  readonly #db: SqliteConnection;
  readonly #fanout: Fanout;
  readonly #historyLimit: number;
  readonly #logger: Logger;
  #revision: number;
  #compacted: number;
  #closed = false;
  readonly #stmts = new Map<string, SqliteStatement<SqlValue[], unknown>>();
  readonly #group: GroupCommit<StoreEvent>;

  private constructor(db: SqliteConnection, logger: Logger, historyLimit: number, maxBatch: number | undefined) {
    this.#db = db;
    this.#logger = logger;
    this.#historyLimit = historyLimit;
    this.#fanout = new Fanout(logger);
    this.#group = new GroupCommit({ commit: (writes) => this.#commit(writes), maxBatch });
    const meta = this.#stmt<[], { name: string; value: number }>('SELECT name, value FROM meta').all();
    this.#revision = meta.find((m) => m.name === 'revision')?.value ?? 0;
    this.#compacted = meta.find((m) => m.name === 'compacted')?.value ?? 0;
  }

  /** Opens (or creates) the database at `path`. */
  static async create(opts: SqliteStoreOptions): Promise<SqliteStore> {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    const driver = opts.driver ?? defaultSqliteDriver();
    const db = driver.open(opts.path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      // FULL (not NORMAL): in WAL mode NORMAL may lose the last commits on power loss (it survives
      // kill -9 alone). Edge hubs lose power; group commit, not a weaker sync, pays for throughput.
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(SCHEMA);
      migrateObjectsToRowid(db, opts.logger);
    } catch (err) {
      db.close();
      throw err;
    }
    const store = new SqliteStore(db, opts.logger, Math.max(1, opts.historyLimit ?? 10_000), opts.maxBatch);
    opts.logger.debug({ path: opts.path, revision: store.#revision, driver: driver.name }, 'store opened');
    return store;
  }

  /** Number of live watches (metrics, leak tests). */
  get watcherCount(): number {
    return this.#fanout.size;
  }

  async revision(): Promise<number> {
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    return this.#compacted;
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const row = this.#stmt<[string], ObjectRow>('SELECT * FROM objects WHERE key = ?').get(key);
    return row ? toStored(row) : undefined;
  }

  async list(prefix: string, range: ListRange = {}): Promise<ListResult> {
    const end = prefixEnd(prefix);
    // `key > after` (a page after the last key seen) or `key >= prefix` (from the start).
    const after = range.after !== undefined && range.after >= prefix ? range.after : undefined;
    const from = after === undefined ? 'key >= ?' : 'key > ?';
    if (range.limit === undefined) {
      const rows = this.#stmt<[string, string], ObjectRow>(
        `SELECT * FROM objects WHERE ${from} AND key < ? ORDER BY key`,
      ).all(after ?? prefix, end);
      return { items: rows.map(toStored), revision: this.#revision };
    }
    const rows = this.#stmt<[string, string, number], ObjectRow>(
      `SELECT * FROM objects WHERE ${from} AND key < ? ORDER BY key LIMIT ?`,
    ).all(after ?? prefix, end, Math.max(0, Math.floor(range.limit)));
    const last = rows.at(-1)?.key;
    // Counting the keys left reads the key index only, not a value.
    const rest =
      last === undefined
        ? 0
        : (this.#stmt<[string, string], { n: number }>(
            'SELECT COUNT(*) AS n FROM objects WHERE key > ? AND key < ?',
          ).get(last, end)?.n ?? 0);
    return { items: rows.map(toStored), revision: this.#revision, remaining: rest };
  }

  async create(key: string, value: unknown): Promise<number> {
    return this.#write(() => {
      if (this.#row(key)) throw new AlreadyExistsError('key', key);
      return this.#put(key, JSON.stringify(value), undefined);
    });
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    return this.#write(() => {
      const cur = this.#row(key);
      if (!cur) throw new NotFoundError('key', key);
      if (cur.mod_rev !== expectedRevision) {
        throw new ConflictError(
          `${key}: the object has been modified (revision ${cur.mod_rev}, expected ${expectedRevision}); re-read and retry`,
        );
      }
      return this.#put(key, JSON.stringify(value), cur);
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<number> {
    return this.#write(() => {
      const cur = this.#row(key);
      if (!cur) throw new NotFoundError('key', key);
      if (expectedRevision !== undefined && cur.mod_rev !== expectedRevision) {
        throw new ConflictError(
          `${key}: the object has been modified (revision ${cur.mod_rev}, expected ${expectedRevision}); re-read and retry`,
        );
      }
      const rev = this.#next();
      this.#stmt('DELETE FROM objects WHERE key = ?').run(key);
      return this.#log({ rev, key, type: 'delete', value: cur.value, prev: cur.value, created: 0 });
    });
  }

  async watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void): Promise<() => void> {
    this.#assertOpen();
    // Backlog read and registration happen in one tick: no write can commit in between, so the
    // hand-over from replay to live events has neither a gap nor a duplicate.
    if (fromRevision < this.#compacted) {
      throw new GoneError(`too old resource version: ${fromRevision} (oldest retained: ${this.#compacted})`);
    }
    const backlog = this.#stmt<[number, string, string], EventRow>(
      'SELECT * FROM events WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev',
    )
      .all(fromRevision, prefix, prefixEnd(prefix))
      .map(toEvent);
    return this.#fanout.add(prefix, fromRevision, backlog, onEvent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Writes already accepted are committed (and acknowledged) before the connection goes.
    this.#group.flushAll();
    this.#closed = true;
    this.#fanout.clear();
    this.#stmts.clear();
    this.#db.close();
  }

  /** Queues `fn` for the next group commit; resolves with its revision once that has committed. */
  async #write(fn: () => StoreEvent): Promise<number> {
    this.#assertOpen();
    return (await this.#group.submit(fn)).revision;
  }

  /**
   * One group commit: every write of the batch inside one BEGIN IMMEDIATE … COMMIT (the write lock is
   * taken up front, so another process on the same file waits busy_timeout at BEGIN rather than
   * failing at COMMIT), then the committed events are published in revision order. A write refused by
   * its own check (exists, conflict, not found) throws before it writes anything, so it is simply
   * that write's outcome; any other error aborts the whole batch and restores the counters.
   */
  #commit(writes: ReadonlyArray<() => StoreEvent>): WriteOutcome<StoreEvent>[] {
    const saved = { revision: this.#revision, compacted: this.#compacted };
    const outcomes: WriteOutcome<StoreEvent>[] = [];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const write of writes) {
        try {
          outcomes.push({ ok: true, value: write() });
        } catch (err) {
          if (!isRefusal(err)) throw err;
          outcomes.push({ ok: false, error: err });
        }
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      // After some errors (disk full, I/O) SQLite has already rolled back, and ROLLBACK would fail.
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#revision = saved.revision;
      this.#compacted = saved.compacted;
      throw err;
    }
    for (const o of outcomes) if (o.ok) this.#fanout.publish(o.value);
    return outcomes;
  }

  #row(key: string): ObjectRow | undefined {
    return this.#stmt<[string], ObjectRow>('SELECT * FROM objects WHERE key = ?').get(key);
  }

  #next(): number {
    this.#revision += 1;
    this.#stmt("UPDATE meta SET value = ? WHERE name = 'revision'").run(this.#revision);
    return this.#revision;
  }

  #put(key: string, value: string, cur: ObjectRow | undefined): StoreEvent {
    const rev = this.#next();
    this.#stmt(
      'INSERT INTO objects (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev',
    ).run(key, value, cur?.create_rev ?? rev, rev);
    return this.#log({ rev, key, type: 'put', value, prev: cur?.value ?? null, created: cur ? 0 : 1 });
  }

  #log(row: EventRow): StoreEvent {
    this.#stmt('INSERT INTO events (rev, key, type, value, prev, created) VALUES (?, ?, ?, ?, ?, ?)').run(
      row.rev,
      row.key,
      row.type,
      row.value,
      row.prev,
      row.created,
    );
    // Compact in batches (a tenth of the history) rather than one row per write.
    const slack = Math.max(1, Math.floor(this.#historyLimit / 10));
    if (row.rev - this.#compacted >= this.#historyLimit + slack) {
      this.#compacted = row.rev - this.#historyLimit;
      this.#stmt('DELETE FROM events WHERE rev <= ?').run(this.#compacted);
      this.#stmt("UPDATE meta SET value = ? WHERE name = 'compacted'").run(this.#compacted);
      this.#logger.debug({ compacted: this.#compacted }, 'store history compacted');
    }
    return toEvent(row);
  }

  /** Prepared statements, compiled once. */
  #stmt<P extends SqlValue[], R = unknown>(sql: string): SqliteStatement<P, R> {
    let st = this.#stmts.get(sql);
    if (!st) {
      st = this.#db.prepare<SqlValue[], unknown>(sql);
      this.#stmts.set(sql, st);
    }
    return st as unknown as SqliteStatement<P, R>;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ServiceUnavailableError('store is closed');
  }
}

/**
 * The embedded default `Store`: SQLite (through `node:sqlite`, or better-sqlite3 on Node 20: see
 * default-driver.ts), in WAL mode. One table holds the current objects, another the event log watches
 * resume from; one persisted revision counter. Writes are group-committed (group-commit.ts): those of
 * one event-loop turn share a transaction and its fsync, and each is acknowledged after it.
 *
 * Every acknowledged write is on disk (survives kill -9 and power loss), but the disk waits happen off
 * the event loop, where they were 15% of the hub's main thread in a 1,000-node rollout:
 * - SQLite commits with `synchronous=NORMAL` (no fsync), and the store then syncs the write-ahead log
 *   itself with an asynchronous `fdatasync` on libuv's thread pool. Only after that does anyone learn
 *   of the batch: its writers, its watchers, and readers (who wait out the sync in flight).
 * - Checkpoints (copying the log into the database file, and its fsync) run on a worker thread with its
 *   own connection (checkpointer.ts), where SQLite would run them inside a commit every ~4 MB.
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
  errorMessage,
  type Logger,
} from '../../api/index.js';
import { Checkpointer } from './checkpointer.js';
import { defaultSqliteDriver } from './default-driver.js';
import { Fanout } from './fanout.js';
import { GroupCommit, type WriteOutcome } from './group-commit.js';
import type { SqlValue, SqliteConnection, SqliteDriver, SqliteStatement } from './sqlite-driver.js';
import { migrateObjectsToRowid } from './sqlite-migrate.js';
import { SCHEMA, isRefusal, prefixEnd, toEvent, toStored, type EventRow, type ObjectRow } from './sqlite-rows.js';
import type { ListRange, ListResult, Store, StoreEvent, StoredValue } from './types.js';
import { WalFile } from './wal-file.js';

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
  /**
   * Syncs the write-ahead log's data to disk (default: `fdatasync` on the thread pool). Tests pass a
   * slower one to watch what waits for it.
   */
  syncLog?: (fd: number) => Promise<void>;
  /** Bytes written (estimated from the rows) after which the checkpoint worker is nudged (default 4 MB). */
  checkpointAfterBytes?: number;
}

/**
 * The main connection's own checkpoint threshold, in pages: a backstop should the checkpoint worker
 * lag or fail. The worker backfills most of the log, so this checkpoint copies only its tail; and it is
 * the one that lets the log restart under a steady write load, since a checkpoint that runs while
 * writes go on never finds the log fully copied.
 */
const BACKSTOP_CHECKPOINT_PAGES = 4000;

/** SQLite implementation of `Store`. Single process; all methods are safe to call concurrently. */
export class SqliteStore implements Store {
  readonly #db: SqliteConnection;
  readonly #fanout: Fanout;
  readonly #historyLimit: number;
  readonly #logger: Logger;
  #revision: number;
  #compacted: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set when close() begins: writes are refused from then, reads until the connection has gone. */
  #refusing = false;
  readonly #stmts = new Map<string, SqliteStatement<SqlValue[], unknown>>();
  readonly #group: GroupCommit<StoreEvent>;
  /** The write-ahead log, which the store syncs (undefined for `:memory:`). */
  readonly #wal: WalFile | undefined;
  readonly #checkpointer: Checkpointer | undefined;
  /** Set when the log could not be synced: the store refuses everything from then on. */
  #failed: Error | undefined;

  private constructor(db: SqliteConnection, opts: SqliteStoreOptions, driver: SqliteDriver) {
    this.#db = db;
    this.#logger = opts.logger;
    this.#historyLimit = Math.max(1, opts.historyLimit ?? 10_000);
    this.#fanout = new Fanout(opts.logger);
    const onDisk = opts.path !== ':memory:';
    // create() ran the schema, so the log exists.
    this.#wal = onDisk ? new WalFile(opts.path, opts.syncLog) : undefined;
    this.#checkpointer = onDisk
      ? new Checkpointer({ path: opts.path, driver, logger: opts.logger, afterBytes: opts.checkpointAfterBytes })
      : undefined;
    this.#group = new GroupCommit({
      commit: (writes) => this.#commit(writes),
      sync: onDisk ? () => this.#sync() : undefined,
      onDurable: (outcomes) => {
        for (const o of outcomes) if (o.ok) this.#fanout.publish(o.value);
      },
      maxBatch: opts.maxBatch,
    });
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
      // NORMAL: a commit writes the log without an fsync. On its own that could lose the last commits on
      // power loss (it survives kill -9); the store syncs the log itself after each commit, off the event
      // loop, and tells no one of a write before that (see the module comment). Edge hubs lose power.
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(SCHEMA);
      migrateObjectsToRowid(db, opts.logger);
    } catch (err) {
      db.close();
      throw err;
    }
    let store: SqliteStore;
    try {
      store = new SqliteStore(db, opts, driver);
    } catch (err) {
      db.close();
      throw err;
    }
    opts.logger.debug({ path: opts.path, revision: store.#revision, driver: driver.name }, 'store opened');
    return store;
  }

  /** Number of live watches (metrics, leak tests). */
  get watcherCount(): number {
    return this.#fanout.size;
  }

  async revision(): Promise<number> {
    await this.#durable();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    await this.#durable();
    return this.#compacted;
  }

  async get(key: string): Promise<StoredValue | undefined> {
    await this.#durable();
    const row = this.#stmt<[string], ObjectRow>('SELECT * FROM objects WHERE key = ?').get(key);
    return row ? toStored(row) : undefined;
  }

  async list(prefix: string, range: ListRange = {}): Promise<ListResult> {
    await this.#durable();
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
    await this.#durable();
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
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Writes already accepted are committed (and acknowledged) before the connection goes; new ones
    // are refused from now (a watcher that writes on each event would otherwise keep this open).
    this.#refusing = true;
    if (!this.#failed) await this.#group.drain();
    this.#closed = true;
    this.#fanout.clear();
    // The worker's connection first, so that the main one is the last and checkpoints the log away.
    await this.#checkpointer?.close();
    this.#stmts.clear();
    this.#db.close();
    this.#wal?.close();
  }

  /** Waits out a batch whose sync is in flight, so that a read sees durable state only; then checks the store is usable. */
  async #durable(): Promise<void> {
    const durable = this.#group.durable();
    if (durable) await durable;
    this.#assertOpen();
  }

  /**
   * Makes the batch just committed durable: `fdatasync` of the log (SQLite's NORMAL commit wrote it,
   * unsynced), which covers every commit since the last sync (wal-file.ts). A failed sync
   * fails the store: Linux may drop the unwritten pages and report success to a retry (PostgreSQL's
   * "fsyncgate"), so nothing after it could be trusted.
   */
  async #sync(): Promise<void> {
    try {
      await this.#wal?.sync();
    } catch (err) {
      this.#failed = new ServiceUnavailableError(
        `store failed: its write-ahead log could not be synced to disk (${errorMessage(err)}); restart the hub`,
      );
      this.#logger.error({ err }, 'store failed: syncing its write-ahead log failed');
      this.#group.rejectAll(this.#failed);
      throw this.#failed;
    }
    // After the sync, and never throwing: the batches it covered are on disk whatever the checkpoint does.
    this.#checkpointer?.nudgeIfDue();
  }

  /** Queues `fn` for the next group commit; resolves with its revision once that has committed. */
  async #write(fn: () => StoreEvent): Promise<number> {
    this.#assertOpen();
    if (this.#refusing) throw new ServiceUnavailableError('store is closing');
    return (await this.#group.submit(fn)).revision;
  }

  /**
   * One group commit: every write of the batch inside one BEGIN IMMEDIATE … COMMIT (the write lock is
   * taken up front, so another process on the same file waits busy_timeout at BEGIN rather than
   * failing at COMMIT). Its events are published, in revision order, once the batch is durable. A
   * write refused by its own check (exists, conflict, not found) throws before it writes anything, so
   * it is simply that write's outcome; any other error aborts the whole batch and restores the counters.
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
    // The object's row, its event's value and its previous value, give or take the pages around them.
    this.#checkpointer?.wrote(2 * value.length + (cur?.value.length ?? 0));
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
    if (this.#failed) throw this.#failed;
    if (this.#closed) throw new ServiceUnavailableError('store is closed');
  }
}

/**
 * The embedded default `Store`: SQLite (through `node:sqlite`, or better-sqlite3 on Node 20: see
 * default-driver.ts), in WAL mode. One table holds the current objects, another the event log watches
 * resume from; one persisted revision counter. Writes are group-committed (group-commit.ts): those of
 * one event-loop turn share a transaction and its fsync, and each is acknowledged after it.
 *
 * Every acknowledged write is on disk (survives kill -9 and power loss), but the disk waits and most of
 * the writing happen off the event loop, where they were 15% and 22% of the hub's main thread in a
 * 1,000-node rollout:
 * - A worker thread owns the writing connection and runs each batch's transaction (commit-thread.ts);
 *   the main thread serialises the values and keeps a connection of its own for reads.
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
import { CommitThread } from './commit-thread.js';
import { defaultSqliteDriver } from './default-driver.js';
import { Fanout } from './fanout.js';
import { GroupCommit, type WriteOutcome } from './group-commit.js';
import { configureConnection, statementCache } from './sqlite-connection.js';
import type { SqliteConnection, SqliteDriver } from './sqlite-driver.js';
import { migrateObjectsToRowid } from './sqlite-migrate.js';
import {
  SCHEMA,
  lazyPrevValue,
  prefixEnd,
  readCounters,
  toEvent,
  toStored,
  type EventRow,
  type ObjectRow,
} from './sqlite-rows.js';
import { SqliteWriter, type BatchResult, type WriteOp } from './sqlite-writer.js';
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
  /**
   * Told once when the store fails for good (a log sync failed, or its commit worker ended): it refuses
   * everything from then on and only a restart reads what is really on disk, so the owner stops.
   */
  onFailure?: (err: Error) => void;
  /** Bytes written (estimated from the rows) after which the checkpoint worker is nudged (default 4 MB). */
  checkpointAfterBytes?: number;
}

/** SQLite implementation of `Store`. Single process; all methods are safe to call concurrently. */
export class SqliteStore implements Store {
  readonly #db: SqliteConnection;
  readonly #fanout: Fanout;
  readonly #logger: Logger;
  /** The revision of the last durable write: what readers, writers and watchers have been told of. */
  #revision: number;
  /** The history's compaction point as of the last batch committed (read once that is durable). */
  #compacted: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set when close() begins: writes are refused from then, reads until the connection has gone. */
  #refusing = false;
  readonly #stmts: ReturnType<typeof statementCache>;
  readonly #group: GroupCommit<WriteOp, StoreEvent>;
  /** Where batches commit: the commit worker (a database file), or the main connection (`:memory:`). */
  readonly #writer: CommitThread | SqliteWriter;
  /** The write-ahead log, which the store syncs (undefined for `:memory:`). */
  readonly #wal: WalFile | undefined;
  readonly #checkpointer: Checkpointer | undefined;
  /** Keys with a write submitted and not yet answered, and how many: a read of any other key need not wait. */
  readonly #inflight = new Map<string, number>();
  /** Set when the log could not be synced, or the commit worker ended: the store refuses everything from then on. */
  #failed: Error | undefined;
  readonly #onFailure: ((err: Error) => void) | undefined;

  private constructor(
    db: SqliteConnection,
    opts: SqliteStoreOptions,
    driver: SqliteDriver,
    writer: CommitThread | SqliteWriter,
  ) {
    this.#db = db;
    this.#stmts = statementCache(db);
    this.#logger = opts.logger;
    this.#onFailure = opts.onFailure;
    this.#fanout = new Fanout(opts.logger);
    const onDisk = opts.path !== ':memory:';
    // create() ran the schema, so the log exists.
    this.#wal = onDisk ? new WalFile(opts.path, opts.syncLog) : undefined;
    this.#checkpointer = onDisk
      ? new Checkpointer({ path: opts.path, driver, logger: opts.logger, afterBytes: opts.checkpointAfterBytes })
      : undefined;
    this.#writer = writer;
    ({ revision: this.#revision, compacted: this.#compacted } = readCounters(db));
    if (writer instanceof CommitThread) writer.onFailure((err) => this.#fail(err, 'its commit worker ended'));
    this.#group = new GroupCommit({
      commit: (ops) => this.#commit(ops),
      sync: onDisk ? () => this.#sync() : undefined,
      onDurable: (outcomes) => {
        for (const o of outcomes) {
          if (!o.ok) continue;
          // Before it is handed out: a watcher that asks the revision while it handles the event gets this one.
          this.#revision = o.value.revision;
          this.#fanout.publish(o.value);
        }
      },
      maxBatch: opts.maxBatch,
    });
  }

  /** Opens (or creates) the database at `path`. */
  static async create(opts: SqliteStoreOptions): Promise<SqliteStore> {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    const driver = opts.driver ?? defaultSqliteDriver();
    const db = driver.open(opts.path);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      configureConnection(db);
      db.exec(SCHEMA);
      migrateObjectsToRowid(db, opts.logger);
    } catch (err) {
      db.close();
      throw err;
    }
    const historyLimit = Math.max(1, opts.historyLimit ?? 10_000);
    let store: SqliteStore;
    let thread: CommitThread | undefined;
    try {
      if (opts.path !== ':memory:') thread = CommitThread.start({ path: opts.path, driver: driver.name, historyLimit });
      store = new SqliteStore(db, opts, driver, thread ?? new SqliteWriter(db, historyLimit));
    } catch (err) {
      await thread?.close();
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

  /**
   * The last durable write's revision, without waiting for a batch in flight: no one has been told of
   * that batch, so the answer is as current as any caller can know. Watchers (the watch caches) have
   * been handed every event up to it, so "has the cache caught up?" costs no wait on the disk.
   */
  async revision(): Promise<number> {
    this.#assertOpen();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    await this.#durable();
    return this.#compacted;
  }

  /**
   * Reads at once unless a write of `key` is under way: the main connection may already see batches
   * committed but not yet durable, but none holds this key, so what it reads of it is durable (the last
   * answered write). A key with a write under way waits for the durable point, as every read used to:
   * the API's and controllers' reads then held the next batch back behind the sync in flight.
   */
  async get(key: string): Promise<StoredValue | undefined> {
    if (this.#inflight.has(key)) await this.#durable();
    else this.#assertOpen();
    const row = this.#stmts.get<[string], ObjectRow>('SELECT * FROM objects WHERE key = ?').get(key);
    return row ? toStored(row) : undefined;
  }

  async list(prefix: string, range: ListRange = {}): Promise<ListResult> {
    await this.#durable();
    const end = prefixEnd(prefix);
    // `key > after` (a page after the last key seen) or `key >= prefix` (from the start).
    const after = range.after !== undefined && range.after >= prefix ? range.after : undefined;
    const from = after === undefined ? 'key >= ?' : 'key > ?';
    if (range.limit === undefined) {
      const rows = this.#stmts
        .get<[string, string], ObjectRow>(`SELECT * FROM objects WHERE ${from} AND key < ? ORDER BY key`)
        .all(after ?? prefix, end);
      return { items: rows.map(toStored), revision: this.#revision };
    }
    const limit = Math.max(0, Math.floor(range.limit));
    const page = this.#stmts.get<[string, string, number], ObjectRow>(
      `SELECT * FROM objects WHERE ${from} AND key < ? ORDER BY key LIMIT ?`,
    );
    if (range.count === false) {
      // One row past the page says whether more follow, without counting them (a page of 0 rows
      // answers none, as a counted one and etcd's do).
      const rows = limit === 0 ? [] : page.all(after ?? prefix, end, limit + 1);
      const more = rows.length > limit;
      if (more) rows.pop();
      return { items: rows.map(toStored), revision: this.#revision, more };
    }
    const rows = page.all(after ?? prefix, end, limit);
    const last = rows.at(-1)?.key;
    // Counting the keys left reads the key index only, not a value.
    const rest =
      last === undefined
        ? 0
        : (this.#stmts
            .get<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM objects WHERE key > ? AND key < ?')
            .get(last, end)?.n ?? 0);
    return { items: rows.map(toStored), revision: this.#revision, remaining: rest, more: rest > 0 };
  }

  async create(key: string, value: unknown): Promise<number> {
    return this.#write({ op: 'create', key, value: JSON.stringify(value) });
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    return this.#write({ op: 'update', key, value: JSON.stringify(value), expected: expectedRevision });
  }

  async delete(key: string, expectedRevision?: number): Promise<number> {
    return this.#write({ op: 'delete', key, expected: expectedRevision });
  }

  async watch(prefix: string, fromRevision: number, onEvent: (e: StoreEvent) => void): Promise<() => void> {
    await this.#durable();
    // Backlog read and registration happen in one tick: no write can commit in between, so the
    // hand-over from replay to live events has neither a gap nor a duplicate.
    if (fromRevision < this.#compacted) {
      throw new GoneError(`too old resource version: ${fromRevision} (oldest retained: ${this.#compacted})`);
    }
    const backlog = this.#stmts
      .get<[number, string, string], EventRow>(
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
    // Also once failed: a sync or commit still in flight must end before the log's descriptor closes.
    await this.#group.drain();
    this.#closed = true;
    this.#fanout.clear();
    // The workers' connections first, so that the main one is the last and checkpoints the log away.
    if (this.#writer instanceof CommitThread) await this.#writer.close();
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
      throw this.#fail(err, 'its write-ahead log could not be synced to disk');
    }
    // After the sync, and never throwing: the batches it covered are on disk whatever the checkpoint does.
    this.#checkpointer?.nudgeIfDue();
  }

  /** Fails the store for good (`why` it failed, from `err`): everything waiting and everything after is refused. */
  #fail(err: unknown, why: string): Error {
    if (!this.#failed) {
      this.#failed = new ServiceUnavailableError(`store failed: ${why} (${errorMessage(err)}); restart the hub`);
      this.#logger.error({ err }, `store failed: ${why}`);
      const failed = this.#failed;
      // Told after this turn: whoever it tells may close the store, which waits for what is failing now.
      if (this.#onFailure) setImmediate(() => this.#onFailure?.(failed));
    }
    this.#group.rejectAll(this.#failed);
    return this.#failed;
  }

  /** Queues `op` for the next group commit; resolves with its revision once that is durable. */
  async #write(op: WriteOp): Promise<number> {
    this.#assertOpen();
    if (this.#refusing) throw new ServiceUnavailableError('store is closing');
    const { key } = op;
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1);
    try {
      return (await this.#group.submit(op)).revision;
    } finally {
      const n = (this.#inflight.get(key) ?? 1) - 1;
      if (n === 0) this.#inflight.delete(key);
      else this.#inflight.set(key, n);
    }
  }

  /**
   * One group commit: the batch in one transaction (sqlite-writer.ts), on the commit worker or here.
   * Its events are published, in revision order, once the batch is durable (group-commit.ts).
   */
  #commit(ops: ReadonlyArray<WriteOp>): WriteOutcome<StoreEvent>[] | Promise<WriteOutcome<StoreEvent>[]> {
    if (this.#writer instanceof SqliteWriter) return this.#outcomes(ops, this.#writer.apply(ops));
    return this.#writer.commit([...ops]).then((result) => this.#outcomes(ops, result));
  }

  /** A committed batch's results as the writes' events and refusals; the counters follow it. */
  #outcomes(ops: ReadonlyArray<WriteOp>, batch: BatchResult): WriteOutcome<StoreEvent>[] {
    if (batch.compacted !== this.#compacted)
      this.#logger.debug({ compacted: batch.compacted }, 'store history compacted');
    this.#compacted = batch.compacted;
    this.#checkpointer?.wrote(batch.bytes);
    return batch.results.map((r, i): WriteOutcome<StoreEvent> => {
      const op = ops[i] as WriteOp;
      if (!r.ok) {
        if (r.refusal === 'exists') return { ok: false, error: new AlreadyExistsError('key', op.key) };
        if (r.refusal === 'missing') return { ok: false, error: new NotFoundError('key', op.key) };
        const expected = op.op === 'create' ? undefined : op.expected;
        return {
          ok: false,
          error: new ConflictError(
            `${op.key}: the object has been modified (revision ${r.current}, expected ${expected}); re-read and retry`,
          ),
        };
      }
      // A put's value is the text just written; a delete's, the text it removed.
      const value = op.op === 'delete' ? (r.prev as string) : op.value;
      const e: StoreEvent = {
        type: op.op === 'delete' ? 'delete' : 'put',
        key: op.key,
        value: JSON.parse(value),
        revision: r.rev,
        created: r.created,
      };
      if (r.prev !== null) lazyPrevValue(e, r.prev);
      return { ok: true, value: e };
    });
  }

  #assertOpen(): void {
    if (this.#failed) throw this.#failed;
    if (this.#closed) throw new ServiceUnavailableError('store is closed');
  }
}

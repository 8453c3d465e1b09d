/**
 * The SQLite store's write side: one connection applying batches of writes, each batch one
 * transaction, and owning the revision counter and the history's compaction. Writes and their results
 * are plain data (JSON text, numbers), so a batch can be handed to the commit worker (commit-worker.ts)
 * and its results back with nothing but a structured clone; the store turns them into events and
 * errors (sqlite-store.ts). `:memory:` stores run it on the main thread.
 */
import { statementCache } from './sqlite-connection.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { readCounters, type ObjectRow } from './sqlite-rows.js';

/** One write of a batch; `value` is the object's JSON text. */
export type WriteOp =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; expected: number }
  | { op: 'delete'; key: string; expected?: number };

/**
 * How one write ended. Done: its revision, whether it created the key, the value it replaced (JSON
 * text, null for a create), and for a delete the value it removed. Refused by its own check (it wrote
 * nothing): why, and the key's current revision for a conflict.
 */
export type WriteResult =
  | { ok: true; rev: number; created: boolean; prev: string | null }
  | { ok: false; refusal: 'exists' }
  | { ok: false; refusal: 'missing' }
  | { ok: false; refusal: 'conflict'; current: number };

/** What a committed batch reports: one result per write, and the counters after it. */
export interface BatchResult {
  results: WriteResult[];
  revision: number;
  compacted: number;
  /** Bytes the batch wrote to the log, estimated from its rows (the checkpointer's measure). */
  bytes: number;
}

/** Applies batches of writes on one connection; see the module comment. */
export class SqliteWriter {
  readonly #db: SqliteConnection;
  readonly #historyLimit: number;
  readonly #stmts: ReturnType<typeof statementCache>;
  #revision: number;
  #compacted: number;

  /** `db` has the store's schema; `historyLimit` events are kept for watch resume. */
  constructor(db: SqliteConnection, historyLimit: number) {
    this.#db = db;
    this.#historyLimit = Math.max(1, historyLimit);
    this.#stmts = statementCache(db);
    ({ revision: this.#revision, compacted: this.#compacted } = readCounters(db));
  }

  get revision(): number {
    return this.#revision;
  }

  get compacted(): number {
    return this.#compacted;
  }

  /**
   * One transaction: BEGIN IMMEDIATE … COMMIT (the write lock is taken up front, so another process on
   * the same file waits busy_timeout at BEGIN rather than failing at COMMIT). A write refused by its
   * own check is its result; any other error rolls the whole batch back, restores the counters and
   * throws.
   */
  apply(ops: ReadonlyArray<WriteOp>): BatchResult {
    const saved = { revision: this.#revision, compacted: this.#compacted };
    const results: WriteResult[] = [];
    let bytes = 0;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const op of ops) {
        const cur = this.#stmts.get<[string], ObjectRow>('SELECT * FROM objects WHERE key = ?').get(op.key);
        const refused = refusal(op, cur);
        if (refused) {
          results.push(refused);
          continue;
        }
        const rev = this.#next();
        if (op.op === 'delete') {
          // Checked by refusal(): a delete has a current row.
          const { value } = cur as ObjectRow;
          this.#stmts.get('DELETE FROM objects WHERE key = ?').run(op.key);
          this.#log(rev, op.key, 'delete', value, value, 0);
          results.push({ ok: true, rev, created: false, prev: value });
          continue;
        }
        // The object's row, its event's value and its previous value, give or take the pages around them.
        bytes += 2 * op.value.length + (cur?.value.length ?? 0);
        this.#stmts
          .get(
            'INSERT INTO objects (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev',
          )
          .run(op.key, op.value, cur?.create_rev ?? rev, rev);
        this.#log(rev, op.key, 'put', op.value, cur?.value ?? null, cur ? 0 : 1);
        results.push({ ok: true, rev, created: !cur, prev: cur?.value ?? null });
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      // After some errors (disk full, I/O) SQLite has already rolled back, and ROLLBACK would fail.
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#revision = saved.revision;
      this.#compacted = saved.compacted;
      throw err;
    }
    return { results, revision: this.#revision, compacted: this.#compacted, bytes };
  }

  #next(): number {
    this.#revision += 1;
    this.#stmts.get("UPDATE meta SET value = ? WHERE name = 'revision'").run(this.#revision);
    return this.#revision;
  }

  #log(rev: number, key: string, type: 'put' | 'delete', value: string, prev: string | null, created: number): void {
    this.#stmts
      .get('INSERT INTO events (rev, key, type, value, prev, created) VALUES (?, ?, ?, ?, ?, ?)')
      .run(rev, key, type, value, prev, created);
    // Compact in batches (a tenth of the history) rather than one row per write.
    const slack = Math.max(1, Math.floor(this.#historyLimit / 10));
    if (rev - this.#compacted >= this.#historyLimit + slack) {
      this.#compacted = rev - this.#historyLimit;
      this.#stmts.get('DELETE FROM events WHERE rev <= ?').run(this.#compacted);
      this.#stmts.get("UPDATE meta SET value = ? WHERE name = 'compacted'").run(this.#compacted);
    }
  }
}

/** A write's own check against the key's current row: its refusal, or undefined when it may go ahead. */
function refusal(op: WriteOp, cur: ObjectRow | undefined): WriteResult | undefined {
  if (op.op === 'create') return cur ? { ok: false, refusal: 'exists' } : undefined;
  if (!cur) return { ok: false, refusal: 'missing' };
  if (op.expected !== undefined && cur.mod_rev !== op.expected) {
    return { ok: false, refusal: 'conflict', current: cur.mod_rev };
  }
  return undefined;
}

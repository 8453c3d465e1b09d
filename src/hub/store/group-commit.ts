/**
 * Group commit: writes submitted in the same event-loop turn are applied in one transaction, so one
 * fsync acknowledges all of them (an fsync costs ~1 ms on the hub's disks; one per write capped the
 * hub at ~1,000 writes/s and kept the event loop waiting on the disk). Each caller is resolved only
 * after the transaction holding its write is durable, so "acknowledged" still means "on disk".
 *
 * Durability may be asynchronous (`sync`: the SQLite store syncs its write-ahead log on libuv's thread
 * pool, so the event loop runs other work during the fsync). Batches go on committing while a sync is
 * in flight (up to 4 × `maxBatch` writes), and the next sync covers them all. Readers wait for the
 * durable point with `durable()`: nothing reads, sees or is told of a write before it is on disk.
 *
 * The commit itself may be asynchronous too (the SQLite store commits on a worker thread that owns
 * its connection): batches are then handed over in order, several may be committing at once, and a
 * batch joins the next sync once its commit has returned. A batch committing counts as not durable.
 *
 * Concurrency contract: `submit` never runs a write synchronously; the batch runs from a
 * `setImmediate`, so everything submitted by the current macrotask (and its microtasks) joins it.
 * A batch holds at most `maxBatch` writes; the rest wait for the next turn, so one huge burst is
 * committed in bounded slices with the event loop free in between.
 */

/** How one write of a batch ended. */
export type WriteOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What a {@link GroupCommit} needs from its store: `W` is a write as submitted, `R` its result. */
export interface GroupCommitOptions<W, R> {
  /**
   * Applies `writes` in one transaction and commits it; returns one outcome per write, in order, or a
   * promise of them (commits handed to another thread; they must complete in the order they were
   * started). A write's own refusal (conflict, not found) is its outcome; a failure of the transaction
   * itself (I/O, disk full) throws or rejects, and then every write of the batch is rejected with it.
   */
  commit: (writes: ReadonlyArray<W>) => WriteOutcome<R>[] | Promise<WriteOutcome<R>[]>;
  /**
   * Makes what `commit` just committed durable. Without it a commit is durable when it returns. When
   * it rejects, every write of the batch is rejected with its error and `onDurable` is not called.
   */
  sync?: () => Promise<void>;
  /** Called with a batch's outcomes once it is durable, before its writers are answered. */
  onDurable?: (outcomes: ReadonlyArray<WriteOutcome<R>>) => void;
  /** Most writes in one transaction (default 500). */
  maxBatch?: number;
}

interface Pending<W, R> {
  write: W;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

interface Committed<W, R> {
  batch: Pending<W, R>[];
  outcomes: WriteOutcome<R>[];
}

/** Batches writes into shared transactions; see the module comment. */
export class GroupCommit<W, R> {
  readonly #opts: GroupCommitOptions<W, R>;
  readonly #maxBatch: number;
  #pending: Pending<W, R>[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  /** Batches whose (asynchronous) commit has not returned yet, and the last one's end (never rejects). */
  #committing = 0;
  #lastCommit: Promise<void> = Promise.resolve();
  /** Batches committed but not yet durable, oldest first. */
  #unsynced: Committed<W, R>[] = [];
  /** Writes committing or committed and not yet durable. */
  #unsyncedWrites = 0;
  /** The sync in flight. */
  #syncing: Promise<void> | undefined;
  /** Set once a sync failed: every batch whose commit returns after it is rejected with its error. */
  #failed: { error: unknown } | undefined;
  /** Readers waiting for everything committed to be durable; no batch commits while there are any. */
  #readers: Array<() => void> = [];

  constructor(opts: GroupCommitOptions<W, R>) {
    this.#opts = opts;
    this.#maxBatch = Math.max(1, opts.maxBatch ?? 500);
  }

  /** Writes waiting for their transaction. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Undefined when everything committed is durable; else a promise that resolves (never rejects) once
   * it is. No batch is committed or handed over while a reader waits, so it waits for what is already
   * committing (at most 4 × `maxBatch` writes) and their syncs; and a reader that reads in the tick it
   * resumes sees durable state only, since batches are committed and handed over from macrotasks.
   */
  durable(): Promise<void> | undefined {
    if (this.#idle()) return undefined;
    return new Promise<void>((resolve) => this.#readers.push(resolve));
  }

  /** Queues `write` for the next group commit; resolves with its result once committed and durable. */
  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything submitted so far is committed and durable (the store is closing). */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || !this.#idle()) {
      await (this.#syncing ?? (this.#committing > 0 ? this.#lastCommit : new Promise((r) => setImmediate(r))));
    }
  }

  /** Rejects everything waiting with `error` (the store failed or closed under it). */
  rejectAll(error: unknown): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const left = this.#pending;
    this.#pending = [];
    for (const p of left) p.reject(error);
  }

  #schedule(): void {
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      // Held back: readers wait for the durable point, or enough is already waiting on the disk. The
      // end of the commit or sync in flight schedules again.
      const busy = this.#syncing !== undefined || this.#committing > 0;
      if (busy && (this.#readers.length > 0 || this.#unsyncedWrites >= 4 * this.#maxBatch)) return;
      this.#commitBatch();
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  #commitBatch(): void {
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    let result: WriteOutcome<R>[] | Promise<WriteOutcome<R>[]>;
    try {
      result = this.#opts.commit(batch.map((p) => p.write));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (Array.isArray(result)) {
      this.#committed(batch, result);
      return;
    }
    this.#committing += 1;
    this.#unsyncedWrites += batch.length;
    this.#lastCommit = result.then(
      () => undefined,
      () => undefined,
    );
    result.then(
      (outcomes) => {
        this.#committing -= 1;
        this.#unsyncedWrites -= batch.length;
        try {
          this.#committed(batch, outcomes);
        } finally {
          this.#settle();
        }
      },
      (err: unknown) => {
        this.#committing -= 1;
        this.#unsyncedWrites -= batch.length;
        for (const p of batch) p.reject(err);
        this.#settle();
      },
    );
  }

  /** A batch's commit has returned: it is answered now, or once the next sync covers it. */
  #committed(batch: Pending<W, R>[], outcomes: WriteOutcome<R>[]): void {
    if (this.#failed) {
      for (const p of batch) p.reject(this.#failed.error);
      return;
    }
    if (!this.#opts.sync) {
      this.#answer({ batch, outcomes });
      return;
    }
    this.#unsynced.push({ batch, outcomes });
    this.#unsyncedWrites += batch.length;
    this.#startSync();
  }

  /** Nothing committing, nothing committed and not durable. */
  #idle(): boolean {
    return this.#committing === 0 && !this.#syncing && this.#unsynced.length === 0;
  }

  /** After a commit or sync ended: wakes the readers if everything is durable, and commits what waits. */
  #settle(): void {
    if (this.#idle()) for (const resume of this.#readers.splice(0)) resume();
    if (this.#pending.length > 0) this.#schedule();
  }

  /**
   * Syncs what is committed now; batches committed while it runs wait for the next sync (an fsync
   * covers what was written before it was called). One sync at a time.
   */
  #startSync(): void {
    const sync = this.#opts.sync;
    if (!sync || this.#syncing || this.#unsynced.length === 0) return;
    const covered = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = sync().then(
      () => {
        this.#unsyncedWrites -= covered.reduce((n, c) => n + c.batch.length, 0);
        try {
          for (const c of covered) this.#answer(c);
        } finally {
          // Whatever an answer threw, the group goes on (readers and later batches wait on this).
          this.#afterSync();
        }
      },
      (err: unknown) => {
        // The store is failed: nothing committed since can be trusted to reach the disk either, nor
        // what is committing now.
        this.#failed = { error: err };
        const failed = [...covered, ...this.#unsynced];
        this.#unsynced = [];
        this.#unsyncedWrites -= failed.reduce((n, c) => n + c.batch.length, 0);
        for (const c of failed) for (const p of c.batch) p.reject(err);
        this.rejectAll(err);
        this.#afterSync();
      },
    );
  }

  #afterSync(): void {
    this.#syncing = undefined;
    if (this.#unsynced.length > 0) this.#startSync();
    this.#settle();
  }

  #answer({ batch, outcomes }: Committed<W, R>): void {
    this.#opts.onDurable?.(outcomes);
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) p.reject(new Error('group commit returned no outcome for a write'));
      else if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}

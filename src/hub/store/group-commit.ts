/**
 * Group commit: writes submitted in the same event-loop turn are applied in one transaction, so one
 * fsync acknowledges all of them (an fsync costs ~1 ms on the hub's disks; one per write capped the
 * hub at ~1,000 writes/s and kept the event loop waiting on the disk). Each caller is resolved only
 * after the transaction holding its write has committed, so "acknowledged" still means "on disk".
 *
 * Concurrency contract: `submit` never runs a write synchronously; the batch runs from a
 * `setImmediate`, so everything submitted by the current macrotask (and its microtasks) joins it.
 * A batch holds at most `maxBatch` writes; the rest wait for the next turn, so one huge burst is
 * committed in bounded synchronous slices with the event loop free in between.
 */

/** How one write of a batch ended. */
export type WriteOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What a {@link GroupCommit} needs from its store. */
export interface GroupCommitOptions<R> {
  /**
   * Applies `writes` in one transaction and commits it; returns one outcome per write, in order. A
   * write's own refusal (conflict, not found) is its outcome; a failure of the transaction itself
   * (I/O, disk full) throws, and then every write of the batch is rejected with that error.
   */
  commit: (writes: ReadonlyArray<() => R>) => WriteOutcome<R>[];
  /** Most writes in one transaction (default 500). */
  maxBatch?: number;
}

interface Pending<R> {
  apply: () => R;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/** Batches writes into shared transactions; see the module comment. */
export class GroupCommit<R> {
  readonly #opts: GroupCommitOptions<R>;
  readonly #maxBatch: number;
  #pending: Pending<R>[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(opts: GroupCommitOptions<R>) {
    this.#opts = opts;
    this.#maxBatch = Math.max(1, opts.maxBatch ?? 500);
  }

  /** Writes waiting for their transaction. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Queues `apply` for the next group commit; resolves with its result once committed. */
  submit(apply: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ apply, resolve, reject });
      this.#schedule();
    });
  }

  /** Commits everything waiting now, synchronously (the store is closing). */
  flushAll(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    while (this.#pending.length > 0) this.#commitBatch();
  }

  /** Rejects everything waiting with `error` (the store closed under it). */
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
      this.#commitBatch();
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  #commitBatch(): void {
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    let outcomes: WriteOutcome<R>[];
    try {
      outcomes = this.#opts.commit(batch.map((p) => p.apply));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) p.reject(new Error('group commit returned no outcome for a write'));
      else if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}

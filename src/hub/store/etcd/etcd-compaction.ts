/**
 * The etcd store's history: how far etcd's history is compacted (as far as this hub knows) and the
 * background compaction that keeps it to `historyLimit` revisions, as the SQLite store does. Split
 * from `etcd-store.ts`.
 */
import type { Logger } from '../../../api/index.js';
import { grpcCode, grpcDetails, type EtcdConnection } from './connection.js';
import type { KeySpace } from './keys.js';

const OUT_OF_RANGE = 11;

/** True for etcd's "required revision has been compacted". */
export function isCompactedError(err: unknown): boolean {
  return grpcCode(err) === OUT_OF_RANGE && grpcDetails(err).includes('compacted');
}

/** True for etcd's "required revision is a future revision". */
export function isFutureRevisionError(err: unknown): boolean {
  return grpcCode(err) === OUT_OF_RANGE && grpcDetails(err).includes('future');
}

/** Tracks the compaction revision and compacts behind the latest write once history grows too long. */
export class EtcdCompactor {
  /** etcd's compaction revision as far as this hub knows (watches from before it get 410). */
  compacted = 0;
  #compacting = false;
  /** Highest revision this store wrote. */
  #latest = 0;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: KeySpace,
    private readonly logger: Logger,
    private readonly historyLimit: number,
  ) {}

  /** Raises the known compaction revision to `revision` (never lowers it). */
  note(revision: number): void {
    if (revision > this.compacted) this.compacted = revision;
  }

  /**
   * Compacts etcd's history up to `revision`. Compacting at or below an earlier compaction is a no-op.
   */
  async compact(revision: number): Promise<void> {
    if (revision <= this.compacted) return;
    try {
      await this.conn.unary('KV', 'Compact', { revision, physical: false });
    } catch (err) {
      // Another hub compacted as far or further: that is all we wanted.
      if (!isCompactedError(err)) throw err;
    }
    this.note(revision);
  }

  /** Records a successful write at `revision` and compacts behind it when the history grew past its limit. */
  wrote(revision: number): void {
    if (revision > this.#latest) this.#latest = revision;
    this.#compactIfDue();
  }

  /**
   * Compacts to `historyLimit` revisions behind the latest write once the history is a tenth longer
   * than that, in the background, one compaction at a time; a compaction that ends with more writes
   * behind it starts the next.
   */
  #compactIfDue(): void {
    const limit = this.historyLimit;
    const target = this.#latest - limit;
    const slack = Math.max(1, Math.floor(limit / 10));
    if (limit === 0 || this.#compacting || this.#latest - this.compacted < limit + slack) return;
    this.#compacting = true;
    this.compact(target)
      .catch((err: unknown) => this.logger.warn({ err, revision: target }, 'etcd compaction failed'))
      .finally(() => {
        this.#compacting = false;
        if (!this.conn.closed) this.#compactIfDue();
      });
  }

  /**
   * Learns the compaction revision at open. etcd has no call that tells it: a read at revision r fails
   * exactly when r is below it, so the smallest readable revision is found by bisection (a few dozen
   * reads, once).
   */
  async probe(current: number): Promise<void> {
    const readable = async (rev: number): Promise<boolean> => {
      try {
        await this.conn.unary('KV', 'Range', { key: this.keys.probeKey(), limit: 1, keys_only: true, revision: rev });
        return true;
      } catch (err) {
        if (isCompactedError(err)) return false;
        throw err;
      }
    };
    if (current <= 1 || (await readable(1))) {
      this.compacted = 0;
      return;
    }
    let lo = 1; // not readable
    let hi = current; // readable (the current revision always is)
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    this.compacted = hi;
  }
}

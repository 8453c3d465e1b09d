/**
 * The `Store` on etcd v3. The contract was written in etcd's terms, so each method is one etcd call:
 * get/list are Range, create/update/delete are one Txn whose compare is the contract's check
 * (create_revision == 0; mod_revision == expected), watch is a Watch stream from `fromRevision + 1` with
 * prev_kv. The store revision is etcd's header revision, so every hub on the same etcd hands out the
 * same cluster-wide resourceVersions. All keys sit under `keyPrefix`, so several clusters can share
 * one etcd.
 */
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  NotFoundError,
  ServiceUnavailableError,
  type Logger,
} from '../../../api/index.js';
import type { ListRange, ListResult, Store, StoreEvent, StoredValue } from '../types.js';
import { EtcdConnection, type EtcdConnectionOptions } from './connection.js';
import { EtcdCompactor, isCompactedError, isFutureRevisionError } from './etcd-compaction.js';
import { etcdMemberHealth, type EtcdMemberHealth } from './etcd-health.js';
import { EtcdWatch } from './etcd-watch.js';
import { etcdRangeEnd, KeySpace } from './keys.js';
import { EtcdLeaseLock } from './etcd-lease-lock.js';
import type { KeyValue, RangeRequest, RangeResponse, TxnRequest, TxnResponse } from './proto.js';

export type { EtcdMemberHealth } from './etcd-health.js';

/** Options of `EtcdStore.create`. */
export interface EtcdStoreOptions extends Omit<EtcdConnectionOptions, 'logger'> {
  logger: Logger;
  /** Prefix of every key this store writes (default `/edgeplane`); one per cluster sharing an etcd. */
  keyPrefix?: string;
  /**
   * Revisions of history kept for watch resumption (default 10 000), as SQLite's `historyLimit`: the
   * store compacts etcd behind it. 0 leaves compaction to etcd (`--auto-compaction-*`) or an operator.
   */
  historyLimit?: number;
}

function conflict(key: string, current: number, expected: number): ConflictError {
  return new ConflictError(
    `${key}: the object has been modified (revision ${current}, expected ${expected}); re-read and retry`,
  );
}

/** etcd implementation of `Store`; several hubs may open the same cluster and key prefix. */
export class EtcdStore implements Store {
  readonly #conn: EtcdConnection;
  readonly #keys: KeySpace;
  readonly #logger: Logger;
  readonly #watches = new Set<EtcdWatch>();
  readonly #history: EtcdCompactor;

  private constructor(conn: EtcdConnection, keys: KeySpace, logger: Logger, historyLimit: number) {
    this.#conn = conn;
    this.#keys = keys;
    this.#logger = logger;
    this.#history = new EtcdCompactor(conn, keys, logger, historyLimit);
  }

  /** Connects, checks that etcd answers, and learns how far its history was compacted. */
  static async create(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const conn = await EtcdConnection.open(opts);
    const store = new EtcdStore(
      conn,
      new KeySpace(opts.keyPrefix ?? '/edgeplane'),
      opts.logger,
      Math.max(0, opts.historyLimit ?? 10_000),
    );
    try {
      const revision = await store.revision();
      await store.#history.probe(revision);
      opts.logger.info(
        { endpoints: conn.endpoints, keyPrefix: store.#keys.prefix, revision, compacted: store.#history.compacted },
        'etcd store opened',
      );
    } catch (err) {
      conn.close();
      throw err;
    }
    return store;
  }

  /** Number of live watches (metrics, leak tests). */
  get watcherCount(): number {
    return this.#watches.size;
  }

  async revision(): Promise<number> {
    const res = await this.#range({ key: this.#keys.probeKey(), limit: 1, keys_only: true });
    return Number(res.header.revision);
  }

  compactedRevision(): Promise<number> {
    return Promise.resolve(this.#history.compacted);
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const res = await this.#range({ key: this.#keys.encode(key) });
    const kv = res.kvs[0];
    return kv ? this.#toStored(kv) : undefined;
  }

  async list(prefix: string, range: ListRange = {}): Promise<ListResult> {
    const from = this.#keys.encodePrefix(prefix);
    const end = etcdRangeEnd(from);
    // A page after `after`: the smallest key above it is `after` + NUL.
    const after = range.after !== undefined && range.after >= prefix ? range.after : undefined;
    const start = after === undefined ? from : Buffer.concat([this.#keys.encode(after), Buffer.from([0])]);
    const req: RangeRequest = { key: start, range_end: end };
    if (range.limit !== undefined) {
      const limit = Math.max(0, Math.floor(range.limit));
      // etcd's limit 0 means "no limit"; a page of 0 keys is only a count.
      if (limit === 0) req.count_only = true;
      else req.limit = limit;
    }
    const res = await this.#range(req);
    const items = res.kvs.map((kv) => this.#toStored(kv));
    const out: ListResult = { items, revision: Number(res.header.revision) };
    // `count` is every key in [start, end), whatever the limit: the rest is what follows the page.
    if (range.limit !== undefined) {
      out.more = res.more;
      if (range.count !== false) out.remaining = Math.max(0, Number(res.count) - items.length);
    }
    return out;
  }

  async create(key: string, value: unknown): Promise<number> {
    const k = this.#keys.encode(key);
    const bytes = Buffer.from(JSON.stringify(value));
    const ctx = { retried: false };
    const res = await this.#txn(
      {
        compare: [{ result: 'EQUAL', target: 'CREATE', key: k, create_revision: 0 }],
        success: [{ request_put: { key: k, value: bytes } }],
        failure: [],
      },
      ctx,
    );
    if (res.succeeded) return this.#wrote(res);
    // A retried create may have succeeded on the first try: then the key holds exactly our bytes.
    const mine = ctx.retried ? await this.#ourWrite(k, bytes) : undefined;
    if (mine !== undefined) return mine;
    throw new AlreadyExistsError('key', key);
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    const k = this.#keys.encode(key);
    const bytes = Buffer.from(JSON.stringify(value));
    const ctx = { retried: false };
    const res = await this.#txn(
      {
        // create_revision > 0: mod_revision of a missing key is 0, which must not match an expected 0.
        compare: [
          { result: 'GREATER', target: 'CREATE', key: k, create_revision: 0 },
          { result: 'EQUAL', target: 'MOD', key: k, mod_revision: expectedRevision },
        ],
        success: [{ request_put: { key: k, value: bytes } }],
        failure: [{ request_range: { key: k } }],
      },
      ctx,
    );
    if (res.succeeded) return this.#wrote(res);
    const cur = res.responses[0]?.response_range?.kvs[0];
    if (ctx.retried && cur && cur.value.equals(bytes)) return Number(cur.mod_revision);
    if (!cur) throw new NotFoundError('key', key);
    throw conflict(key, Number(cur.mod_revision), expectedRevision);
  }

  async delete(key: string, expectedRevision?: number): Promise<number> {
    const k = this.#keys.encode(key);
    const ctx = { retried: false };
    const res = await this.#txn(
      {
        compare: [
          { result: 'GREATER', target: 'CREATE', key: k, create_revision: 0 },
          ...(expectedRevision !== undefined
            ? [{ result: 'EQUAL' as const, target: 'MOD' as const, key: k, mod_revision: expectedRevision }]
            : []),
        ],
        success: [{ request_delete_range: { key: k } }],
        failure: [{ request_range: { key: k } }],
      },
      ctx,
    );
    if (res.succeeded) return this.#wrote(res);
    const cur = res.responses[0]?.response_range?.kvs[0];
    // A retried delete that finds nothing most likely deleted the key on its first try.
    if (!cur && ctx.retried) return Number(res.header.revision);
    if (!cur) throw new NotFoundError('key', key);
    throw conflict(key, Number(cur.mod_revision), expectedRevision ?? 0);
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void> {
    if (this.#conn.closed) throw new ServiceUnavailableError('store is closed');
    if (fromRevision < this.#history.compacted) throw this.#gone(fromRevision);
    // etcd reports a compacted start revision only later, on the stream; a read at `fromRevision`
    // fails now if it was compacted, so the caller gets its 410 from `watch` itself.
    if (fromRevision > 0) {
      try {
        await this.#range({ key: this.#keys.probeKey(), limit: 1, keys_only: true, revision: fromRevision });
      } catch (err) {
        if (!isCompactedError(err)) {
          if (!isFutureRevisionError(err)) throw err;
        } else {
          this.#history.note(fromRevision + 1);
          throw this.#gone(fromRevision);
        }
      }
    }
    const from = this.#keys.encodePrefix(prefix);
    const w = new EtcdWatch(
      {
        conn: this.#conn,
        logger: this.#logger,
        key: from,
        rangeEnd: etcdRangeEnd(from),
        storeKey: (k) => this.#keys.decode(k),
        onCompacted: (rev) => this.#history.note(rev),
      },
      fromRevision,
      onEvent,
      (err) => {
        this.#watches.delete(w);
        onError?.(err);
      },
    );
    await w.start();
    this.#watches.add(w);
    return () => {
      w.stop();
      this.#watches.delete(w);
    };
  }

  /**
   * A leader lock named `name` on an etcd lease of `ttlSeconds`, held as `identity` (see
   * `EtcdLeaseLock`): one hub at a time holds it.
   */
  leaderLock(name: string, identity: string, ttlSeconds: number): EtcdLeaseLock {
    return new EtcdLeaseLock(this.#conn, this.#keys, name, identity, ttlSeconds, this.#logger);
  }

  /**
   * Compacts etcd's history up to `revision` (watches from before it get 410 Gone afterwards).
   * Compacting at or below an earlier compaction is a no-op.
   */
  compact(revision: number): Promise<void> {
    return this.#history.compact(revision);
  }

  /** Each member's health, asked of that member alone (`componentstatuses`' `etcd-<i>`). */
  memberHealth(timeoutMs = 2_000): Promise<EtcdMemberHealth[]> {
    return etcdMemberHealth(this.#conn, timeoutMs);
  }

  close(): Promise<void> {
    for (const w of this.#watches) w.stop();
    this.#watches.clear();
    this.#conn.close();
    return Promise.resolve();
  }

  #gone(fromRevision: number): GoneError {
    return new GoneError(`too old resource version: ${fromRevision} (oldest retained: ${this.#history.compacted})`);
  }

  #toStored(kv: KeyValue): StoredValue {
    return {
      key: this.#keys.decode(kv.key),
      value: JSON.parse(kv.value.toString('utf8')) as unknown,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** The revision of a successful write; compacts behind it when the history grew past its limit. */
  #wrote(res: TxnResponse): number {
    const rev = Number(res.header.revision);
    this.#history.wrote(rev);
    return rev;
  }

  /** The modRevision of `key` if it holds exactly `bytes` (our write, acknowledged late). */
  async #ourWrite(key: Buffer, bytes: Buffer): Promise<number | undefined> {
    const kv = (await this.#range({ key })).kvs[0];
    return kv?.value.equals(bytes) ? Number(kv.mod_revision) : undefined;
  }

  #range(req: RangeRequest): Promise<RangeResponse> {
    return this.#conn.unary<RangeRequest, RangeResponse>('KV', 'Range', req);
  }

  #txn(req: TxnRequest, ctx: { retried: boolean }): Promise<TxnResponse> {
    return this.#conn.unary<TxnRequest, TxnResponse>('KV', 'Txn', req, ctx);
  }
}

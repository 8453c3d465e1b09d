/**
 * One store watch on etcd: a Watch stream for one key range, resumed on another member from the last
 * revision delivered when its member goes away, so the consumer sees every revision once, in order.
 *
 * When it cannot resume (etcd compacted past the last revision delivered) the watch ends and says so
 * through `onBroken` (a GoneError), so the consumer relists instead of waiting for events that will
 * never come. A value that is not JSON (something else wrote under the prefix) is skipped, and logged
 * once per key: one bad key must not stop the watch, nor the hub.
 */
import * as grpc from '@grpc/grpc-js';
import { GoneError, ServiceUnavailableError, errorMessage, type Logger } from '../../../api/index.js';
import type { StoreEvent } from '../types.js';
import { grpcDetails, type EtcdConnection } from './connection.js';
import type { KeyValue, WatchRequest, WatchResponse } from './proto.js';

/** What a watch needs from its store. */
export interface EtcdWatchDeps {
  conn: EtcdConnection;
  logger: Logger;
  /** Full etcd key range watched. */
  key: Buffer;
  rangeEnd: Buffer;
  /** Maps an etcd key back to the store's key. */
  storeKey: (key: Buffer) => string;
  /** Told of a compaction etcd reports (the store keeps the highest). */
  onCompacted: (revision: number) => void;
}

type Duplex = grpc.ClientDuplexStream<WatchRequest, WatchResponse>;

/** Keys whose undecodable values were logged already (bounded: past it, nothing more is logged). */
const MAX_LOGGED_BAD_KEYS = 1000;

/** Marks a value that could not be decoded. */
const SKIP: unique symbol = Symbol('undecodable');

/** A value under the prefix that is not JSON. */
class UndecodableValue extends Error {}

function decode(kv: KeyValue | null | undefined): unknown {
  if (!kv || kv.value.length === 0) return undefined;
  try {
    return JSON.parse(kv.value.toString('utf8')) as unknown;
  } catch (err) {
    throw new UndecodableValue(errorMessage(err));
  }
}

/** A running watch; `start` resolves once etcd has created it. */
export class EtcdWatch {
  readonly #deps: EtcdWatchDeps;
  readonly #onEvent: (e: StoreEvent) => void;
  readonly #onBroken: ((err: Error) => void) | undefined;
  readonly #badKeys = new Set<string>();
  /** Highest revision delivered: a resumed stream starts after it. */
  #after: number;
  #stream: Duplex | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  /** Set once etcd has confirmed a stream of this watch. */
  #confirmed = false;

  /** `onBroken`: told once when the watch ends for good after etcd confirmed it. */
  constructor(
    deps: EtcdWatchDeps,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onBroken?: (err: Error) => void,
  ) {
    this.#deps = deps;
    this.#after = fromRevision;
    this.#onEvent = onEvent;
    this.#onBroken = onBroken;
  }

  /** Opens the stream; resolves when etcd confirms the watch, rejects if the first attempt fails. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#open(resolve, reject));
  }

  /** Stops the watch (idempotent). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#stream?.cancel();
    this.#stream = undefined;
  }

  #open(onCreated?: () => void, onFirstError?: (err: unknown) => void): void {
    const { client, index } = this.#deps.conn.watchClient();
    // `hasleader`: a member cut off from the raft leader cancels the watch instead of going silent
    // (what etcd's own client asks with WithRequireLeader), so we move to a member that has one.
    const md = new grpc.Metadata();
    md.set('hasleader', 'true');
    const watchFn = client.Watch as (md: grpc.Metadata) => Duplex;
    const stream = watchFn.call(client, md);
    this.#stream = stream;
    let created = false;
    let ended = false;
    const fail = (err: unknown): void => {
      if (ended) return;
      ended = true;
      stream.cancel();
      if (this.#stream === stream) this.#stream = undefined;
      if (this.#stopped) return;
      if (this.#deps.conn.closed) {
        this.stop();
        if (!this.#confirmed) onFirstError?.(new ServiceUnavailableError('store is closed'));
        return;
      }
      this.#deps.conn.failover(index, err);
      this.#failures++;
      // Before etcd ever confirmed the watch, a few tries across members, then the caller hears of it.
      if (!this.#confirmed && this.#failures >= 2 * this.#deps.conn.endpoints.length + 2) {
        onFirstError?.(err);
        return;
      }
      const delay = Math.min(2_000, 50 * 2 ** Math.min(this.#failures, 6));
      this.#deps.logger.warn(
        { after: this.#after, reason: grpcDetails(err) || String(err), retryInMs: delay },
        'etcd watch broken; resuming on another member',
      );
      this.#retry = setTimeout(() => this.#open(onCreated, onFirstError), delay);
    };
    stream.on('data', (res: WatchResponse) => {
      if (ended || this.#stopped) return;
      const compacted = Number(res.compact_revision);
      if (compacted > 0) {
        // History up to our resume point is gone: nothing can fill the gap; the watch ends here.
        this.#deps.onCompacted(compacted);
        ended = true;
        stream.cancel();
        this.#deps.logger.error(
          { after: this.#after, compacted },
          'etcd watch cannot resume: its revision was compacted; the watch is stopped and its consumer relists',
        );
        this.stop();
        const gone = new GoneError(`too old resource version: ${this.#after} (compacted: ${compacted})`);
        if (!this.#confirmed) onFirstError?.(gone);
        else this.#broken(gone);
        return;
      }
      if (res.canceled) {
        fail(new Error(`watch canceled by etcd: ${res.cancel_reason || 'no reason given'}`));
        return;
      }
      if (res.created && !created) {
        created = true;
        this.#failures = 0;
        if (!this.#confirmed) {
          this.#confirmed = true;
          onCreated?.();
        }
      }
      for (const ev of res.events) this.#deliver(ev.type, ev.kv, ev.prev_kv);
    });
    stream.on('error', (err) => fail(err));
    stream.on('end', () => fail(new Error('watch stream ended')));
    stream.write({
      create_request: {
        key: this.#deps.key,
        range_end: this.#deps.rangeEnd,
        start_revision: this.#after + 1,
        prev_kv: true,
      },
    });
  }

  #deliver(type: 'PUT' | 'DELETE', kv: KeyValue, prev: KeyValue | null): void {
    const revision = Number(kv.mod_revision);
    // A resumed stream starts after the last revision delivered, so this only guards; `<` (not `<=`)
    // keeps the several events of one multi-key transaction, which share a revision.
    if (revision < this.#after) return;
    this.#after = revision;
    const key = this.#deps.storeKey(kv.key);
    // A value that is not JSON: a put is skipped; a delete still goes out (the key is gone either way).
    const prevValue = this.#decodeOrLog(key, revision, prev);
    const value = type === 'PUT' ? this.#decodeOrLog(key, revision, kv) : undefined;
    if (type === 'PUT' && value === SKIP) return;
    const e: StoreEvent =
      type === 'PUT'
        ? { type: 'put', key, value, revision, created: Number(kv.create_revision) === revision }
        : { type: 'delete', key, value: prevValue === SKIP ? null : (prevValue ?? null), revision, created: false };
    if (prevValue !== undefined && prevValue !== SKIP) e.prevValue = prevValue;
    try {
      this.#onEvent(e);
    } catch (err) {
      this.#deps.logger.error({ err, key, revision }, 'store watcher callback threw');
    }
  }

  /** The decoded value, or SKIP (logged once per key) when it is not JSON. */
  #decodeOrLog(key: string, revision: number, kv: KeyValue | null | undefined): unknown {
    try {
      return decode(kv);
    } catch (err) {
      if (!(err instanceof UndecodableValue)) throw err;
      if (!this.#badKeys.has(key) && this.#badKeys.size < MAX_LOGGED_BAD_KEYS) {
        this.#badKeys.add(key);
        this.#deps.logger.error(
          { key, revision, err: err.message },
          'etcd watch: a value under the prefix is not JSON; skipping it (logged once per key)',
        );
      }
      return SKIP;
    }
  }

  #broken(err: Error): void {
    try {
      this.#onBroken?.(err);
    } catch (e) {
      this.#deps.logger.error({ err: e }, 'store watch error callback threw');
    }
  }
}

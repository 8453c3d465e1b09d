/**
 * A `Store` that times its writes (create, update, delete) for the hub's /metrics and passes every
 * call through unchanged: the latency is the backend's (SQLite's commit, etcd's round trip), measured
 * the same way for both.
 */
import type { ListRange, ListResult, Store, StoreEvent, StoredValue } from '../store/index.js';
import type { StoreObserver } from './control-plane-metrics.js';

/** Wraps `store`, reporting each write's latency to `observer`. */
export class InstrumentedStore implements Store {
  constructor(
    private readonly store: Store,
    private readonly observer: StoreObserver,
  ) {}

  async #timed<T>(operation: string, key: string, write: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await write();
    } finally {
      this.observer.request(operation, key, (performance.now() - start) / 1000);
    }
  }

  revision(): Promise<number> {
    return this.store.revision();
  }
  get(key: string): Promise<StoredValue | undefined> {
    return this.store.get(key);
  }
  // The range (a page's `after` and `limit`) is passed on: dropping it broke list paging on the hub.
  list(prefix: string, range?: ListRange): Promise<ListResult> {
    return this.store.list(prefix, range);
  }
  create(key: string, value: unknown): Promise<number> {
    return this.#timed('create', key, () => this.store.create(key, value));
  }
  update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    return this.#timed('update', key, () => this.store.update(key, value, expectedRevision));
  }
  delete(key: string, expectedRevision?: number): Promise<number> {
    return this.#timed('delete', key, () => this.store.delete(key, expectedRevision));
  }
  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void> {
    return this.store.watch(prefix, fromRevision, onEvent, onError);
  }
  compactedRevision(): Promise<number> {
    return this.store.compactedRevision();
  }
  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * The hub's watch caches (the kube-apiserver's cacher): one store watch over every resource feeds a
 * `ResourceCache` per resource, created on the first read of that resource, so LIST, GET and watch
 * fan-out are answered from memory instead of reading and JSON-parsing the store.
 *
 * Freshness: the one watch covers every key, so the revision of its last event is how far every
 * cache has progressed, whichever resource the write touched. A consistent read (Kubernetes'
 * LIST or GET without a resourceVersion) asks the store for its current revision and waits until the
 * caches have caught up with it; a read that waits too long (a stalled watch) is answered from the
 * store by the caller instead. Built over the `Store` interface only, so SQLite and etcd both feed it.
 */
import type { Logger } from '../../api/index.js';
import type { Store, StoreEvent } from '../store/index.js';
import { ResourceCache } from './resource-cache.js';
import { StringInterner } from './string-interner.js';

/** Root of every object key (`/registry/<plural>/…`). */
const ROOT = '/registry/';
/**
 * What the one store watch covers: every key, not only objects, so that a write elsewhere (a leader
 * lease, say) still moves the caches' progress and a consistent read never waits for an event that
 * would not come.
 */
const WATCHED = '/';

/**
 * Resources the hub keeps no watch cache of: Events, as in Kubernetes (its `DefaultWatchCacheSizes`
 * gives them none). There is about one per pod scheduled and per node change; they are read rarely,
 * by a selector and a page at a time; and held in memory they were a quarter of the hub's live heap at
 * 100,000 pods, every object of which each major GC marks (docs/benchmarks.md). Their LISTs, GETs
 * and watches go to the store.
 */
export const DEFAULT_UNCACHED: readonly string[] = ['/registry/events/'];

/** Changes kept per resource for older snapshots and watch resumption. */
export const DEFAULT_CACHE_HISTORY = 10_000;
/** How long a consistent read waits for the caches to catch up before the store answers it. */
export const DEFAULT_FRESH_TIMEOUT_MS = 3_000;

/** Options of {@link WatchCaches}. */
export interface WatchCachesOptions {
  store: Store;
  logger: Logger;
  history?: number;
  freshTimeoutMs?: number;
  /** The table of canonical strings the caches share (default: a new one). */
  strings?: StringInterner;
  /** Resource prefixes (`/registry/<plural>/`) served by the store instead (default {@link DEFAULT_UNCACHED}). */
  uncached?: readonly string[];
}

/**
 * Resources whose values are not interned: a Secret's values would stay in the shared table after the
 * Secret is gone, until the table next forgets (65,536 new strings; in a quiet cluster, a long time).
 */
const NOT_INTERNED = new Set(['/registry/secrets/']);

interface Entry {
  cache: ResourceCache;
  ready: Promise<ResourceCache>;
  /** Events that arrived while the resource was being listed (undefined once loaded). */
  pending: StoreEvent[] | undefined;
}

interface Subscriber {
  prefix: string;
  after: number;
  onEvent: (e: StoreEvent) => void;
  onError: ((err: Error) => void) | undefined;
}

interface Waiter {
  revision: number;
  resolve: (caughtUp: boolean) => void;
  timer: NodeJS.Timeout;
}

/** The resource part of a key or prefix: `/registry/pods/ns/x` → `/registry/pods/`. */
export function resourcePrefix(key: string): string | undefined {
  if (!key.startsWith(ROOT)) return undefined;
  const end = key.indexOf('/', ROOT.length);
  return end < 0 ? undefined : key.slice(0, end + 1);
}

/** Watch caches of one store; see the module comment. */
export class WatchCaches {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #history: number;
  readonly #freshTimeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #subs = new Set<Subscriber>();
  readonly #waiters = new Set<Waiter>();
  readonly #strings: StringInterner;
  readonly #uncached: ReadonlySet<string>;
  #root: Promise<void> | undefined;
  #stopRoot: (() => void) | undefined;
  #closed = false;
  /** Every event up to this revision has been applied to the caches. */
  #progress = 0;

  constructor(opts: WatchCachesOptions) {
    this.#strings = opts.strings ?? new StringInterner();
    this.#store = opts.store;
    this.#logger = opts.logger;
    this.#history = opts.history ?? DEFAULT_CACHE_HISTORY;
    this.#freshTimeoutMs = opts.freshTimeoutMs ?? DEFAULT_FRESH_TIMEOUT_MS;
    this.#uncached = new Set(opts.uncached ?? DEFAULT_UNCACHED);
  }

  /** Whether reads of `prefix`'s resource are answered from a cache (false: the store answers them). */
  isCached(prefix: string): boolean {
    const rp = resourcePrefix(prefix);
    return rp !== undefined && !this.#uncached.has(rp);
  }

  /** The revision every cache is complete up to. */
  get progress(): number {
    return this.#progress;
  }

  /**
   * `Store.revision` of the caches: how far they have progressed (the store watch started); with a
   * prefix, how far that resource's cache is (loaded first), the revision to watch it from.
   */
  async revision(prefix?: string): Promise<number> {
    if (prefix !== undefined)
      return this.isCached(prefix) ? this.revisionOf(await this.cache(prefix)) : this.#store.revision();
    await this.#startRoot();
    return this.#progress;
  }

  /** Objects held, per resource prefix (metrics, tests). */
  get sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [p, e] of this.#entries) if (!e.pending) out[p] = e.cache.size;
    return out;
  }

  /** The cache of `prefix`'s resource, loading it on first use. */
  cache(prefix: string): Promise<ResourceCache> {
    const rp = resourcePrefix(prefix);
    if (rp === undefined) return Promise.reject(new Error(`not an object key prefix: ${prefix}`));
    if (this.#uncached.has(rp)) return Promise.reject(new Error(`not cached: ${rp}`));
    const found = this.#entries.get(rp);
    if (found) return found.ready;
    const entry: Entry = {
      cache: new ResourceCache(rp, this.#history, NOT_INTERNED.has(rp) ? undefined : this.#strings),
      pending: [],
      ready: Promise.resolve() as never,
    };
    entry.ready = (async () => {
      await this.#startRoot();
      const res = await this.#store.list(rp);
      entry.cache.load(res.items, res.revision);
      for (const e of entry.pending ?? []) entry.cache.apply(e);
      entry.pending = undefined;
      return entry.cache;
    })();
    // A failed load is not kept: the next read tries again.
    entry.ready.catch(() => {
      if (this.#entries.get(rp) === entry) this.#entries.delete(rp);
    });
    this.#entries.set(rp, entry);
    return entry.ready;
  }

  /** The store's oldest watchable revision (a continue token older than it has expired, as in etcd). */
  compactedRevision(): Promise<number> {
    return this.#store.compactedRevision();
  }

  /** The loaded cache of `prefix`'s resource, if there is one (never starts a load). */
  loaded(prefix: string): ResourceCache | undefined {
    const rp = resourcePrefix(prefix);
    const e = rp === undefined ? undefined : this.#entries.get(rp);
    return e && !e.pending ? e.cache : undefined;
  }

  /** The revision a read of `cache` reflects: the caches' progress, or the list it was loaded from. */
  revisionOf(cache: ResourceCache): number {
    return Math.max(this.#progress, cache.loadedAt);
  }

  /**
   * Waits until the caches have caught up with revision `min` (default: the store's current one).
   * Resolves true when they have, false after the fresh timeout.
   */
  async fresh(min?: number): Promise<boolean> {
    await this.#startRoot();
    const target = min ?? (await this.#store.revision());
    if (this.#progress >= target) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        revision: target,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(false);
        }, this.#freshTimeoutMs),
      };
      waiter.timer.unref();
      this.#waiters.add(waiter);
    });
  }

  /**
   * `Store.watch` served from the caches: the history replays changes after `fromRevision` when it
   * still holds them, then live events follow; an older revision, or a resource without a cache, is
   * watched on the store itself (which answers 410 Gone past compaction).
   */
  async watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void> {
    if (!this.isCached(prefix)) return this.#store.watch(prefix, fromRevision, onEvent, onError);
    const cache = await this.cache(prefix);
    if (fromRevision < cache.historyFrom) return this.#store.watch(prefix, fromRevision, onEvent, onError);
    // Replay and registration in one synchronous stretch: no event can fall between them.
    const sub: Subscriber = { prefix, after: fromRevision, onEvent, onError };
    for (const e of cache.changesAfter(fromRevision, prefix)) this.#deliver(sub, e);
    // The cache may already be ahead of the caches' progress (loaded from a newer list).
    sub.after = Math.max(sub.after, cache.loadedAt);
    this.#subs.add(sub);
    return () => {
      this.#subs.delete(sub);
    };
  }

  /** Stops the store watch; reads after this go to the store. */
  close(): void {
    this.#closed = true;
    this.#stopRoot?.();
    this.#stopRoot = undefined;
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.#waiters.clear();
    this.#subs.clear();
    this.#entries.clear();
  }

  #startRoot(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('watch caches closed'));
    this.#root ??= (async () => {
      const revision = await this.#store.revision();
      this.#progress = Math.max(this.#progress, revision);
      const root = this.#root;
      this.#stopRoot = await this.#store.watch(
        WATCHED,
        revision,
        (e) => this.#onEvent(e),
        (err) => this.#onRootBroken(root, err),
      );
    })();
    // A failed start is retried by the next read.
    this.#root.catch((err: unknown) => {
      this.#logger.warn({ err }, 'watch cache: store watch failed to start');
      this.#root = undefined;
    });
    return this.#root;
  }

  /**
   * The store watch broke for good (etcd compacted past where it had to resume): the caches missed
   * changes and cannot tell which, so they are dropped, and the next read relists and starts a new
   * store watch from the store's revision (the 410 path of a Kubernetes watch cache). Subscribers are
   * told through their error callback and removed; reads waiting for freshness go to the store.
   */
  #onRootBroken(root: Promise<void> | undefined, err: Error): void {
    if (this.#closed || root !== this.#root) return;
    this.#logger.warn({ err: err.message, progress: this.#progress }, 'watch cache: the store watch broke; relisting');
    this.#root = undefined;
    this.#stopRoot = undefined;
    this.#entries.clear();
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.#waiters.clear();
    const subs = [...this.#subs];
    this.#subs.clear();
    for (const sub of subs) {
      try {
        sub.onError?.(err);
      } catch (e) {
        this.#logger.error({ err: e }, 'watch cache subscriber error callback threw');
      }
    }
  }

  #onEvent(e: StoreEvent): void {
    const rp = resourcePrefix(e.key);
    const entry = rp === undefined ? undefined : this.#entries.get(rp);
    if (entry) {
      if (entry.pending) entry.pending.push(e);
      else entry.cache.apply(e);
    }
    this.#progress = Math.max(this.#progress, e.revision);
    for (const sub of this.#subs) if (e.key.startsWith(sub.prefix)) this.#deliver(sub, e);
    for (const w of this.#waiters) {
      if (w.revision > this.#progress) continue;
      clearTimeout(w.timer);
      this.#waiters.delete(w);
      w.resolve(true);
    }
  }

  #deliver(sub: Subscriber, e: StoreEvent): void {
    if (e.revision <= sub.after) return;
    sub.after = e.revision;
    try {
      sub.onEvent(e);
    } catch (err) {
      this.#logger.error({ err, key: e.key, revision: e.revision }, 'watch cache subscriber threw');
    }
  }
}

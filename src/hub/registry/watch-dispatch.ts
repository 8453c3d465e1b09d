/**
 * Shared watches (the idea of Kubernetes' watch cache, without its object cache): one store watch per
 * collection prefix serves every API watch of that prefix. Per store event the API object is built
 * once (`eventObject`) and handed to only the watchers that can want it:
 * - watchers are grouped by prefix, so a namespace's watchers never see another namespace's events;
 * - a watcher whose field selector pins an indexed field (`spec.nodeName=n`, `metadata.name=x`) is
 *   filed under that value and reached by a map lookup, so 1,000 per-node pod watchers cost one
 *   lookup per event rather than 1,000 selector checks;
 * - the rest (label selectors, no selector) are checked one by one.
 * A recent-events ring lets a watcher join from a recent resourceVersion without its own store
 * watch; an older one gets a dedicated store watch (which answers 410 Gone past compaction).
 */
import type { KubeObject, Logger } from '../../api/index.js';
import type { StoreEvent } from '../store/index.js';
import type { WatchEvent } from './types.js';
import { toWatchEvent } from './watch-filter.js';

/** Fields a watcher can be indexed by (an equality term of its field selector). */
export const INDEXED_FIELDS = ['spec.nodeName', 'metadata.name'] as const;

/** One API watcher of a shared prefix watch. */
export interface WatchSub {
  matches: (obj: KubeObject) => boolean;
  onEvent: (e: WatchEvent) => void;
  /** Told once when the store watch behind it breaks for good (see `ObjectAPI.watch`). */
  onError: ((err: Error) => void) | undefined;
  /** `field=value` of an indexed field the selector requires, if any. */
  index: string | undefined;
  /** Highest revision handed over (or the revision the watch starts after). */
  after: number;
  /** BOOKMARK events every this many ms with the revision the watch has progressed to. */
  bookmarkIntervalMs: number | undefined;
  nextBookmarkAt: number;
  bookmark: (resourceVersion: string) => WatchEvent;
}

function fieldValue(obj: unknown, field: (typeof INDEXED_FIELDS)[number]): string {
  const [a, b] = field.split('.') as [string, string];
  const outer = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[a] : undefined;
  const v = outer !== null && typeof outer === 'object' ? (outer as Record<string, unknown>)[b] : undefined;
  return typeof v === 'string' ? v : '';
}

/** One store watch of one prefix and the API watchers it feeds. */
export class PrefixWatch {
  readonly #all = new Set<WatchSub>();
  readonly #indexed = new Map<string, Set<WatchSub>>();
  readonly #ring: StoreEvent[] = [];
  readonly #capacity: number;
  readonly #logger: Logger;
  /** Every event with a revision above this one is in the ring or still to come. */
  #from = 0;
  #seen = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopStore: (() => void) | undefined;

  constructor(capacity: number, logger: Logger) {
    this.#capacity = capacity;
    this.#logger = logger;
  }

  /** Number of watchers served. */
  get size(): number {
    let n = this.#all.size;
    for (const s of this.#indexed.values()) n += s.size;
    return n;
  }

  /** Marks the store watch live from `revision`; `stop` ends it. */
  started(revision: number, stop: () => void): void {
    this.#from = revision;
    this.#seen = revision;
    this.#stopStore = stop;
  }

  /** True when a watcher from `revision` can join (the ring covers everything after it). */
  covers(revision: number): boolean {
    return this.#stopStore !== undefined && revision >= this.#from;
  }

  /** Adds `sub`, first replaying the ring's events after `sub.after`. Call only when `covers`. */
  join(sub: WatchSub): () => void {
    for (const e of this.#ring) if (e.revision > sub.after) this.#deliver(sub, e);
    const set = sub.index === undefined ? this.#all : this.#bucket(sub.index);
    set.add(sub);
    if (sub.bookmarkIntervalMs !== undefined) this.#armBookmarks(sub.bookmarkIntervalMs);
    return () => {
      set.delete(sub);
      if (sub.index !== undefined && set.size === 0) this.#indexed.delete(sub.index);
    };
  }

  /** The store watch's callback. */
  onStoreEvent(e: StoreEvent): void {
    this.#seen = e.revision;
    this.#ring.push(e);
    if (this.#ring.length > this.#capacity * 2) {
      const dropped = this.#ring.splice(0, this.#ring.length - this.#capacity);
      this.#from = dropped[dropped.length - 1]?.revision ?? this.#from;
    }
    for (const sub of this.#all) this.#deliver(sub, e);
    if (this.#indexed.size === 0) return;
    const keys = new Set<string>();
    for (const v of e.prevValue === undefined ? [e.value] : [e.value, e.prevValue])
      for (const f of INDEXED_FIELDS) keys.add(`${f}=${fieldValue(v, f)}`);
    for (const k of keys) {
      const set = this.#indexed.get(k);
      if (set) for (const sub of set) this.#deliver(sub, e);
    }
  }

  /**
   * The store watch broke for good: every watcher is told (and dropped), and the watch is closed; the
   * shared-watch set has already forgotten it, so the next watcher opens a new one.
   */
  fail(err: Error): void {
    const subs = [...this.#all];
    for (const set of this.#indexed.values()) subs.push(...set);
    this.#all.clear();
    this.#indexed.clear();
    this.close();
    for (const sub of subs) {
      try {
        sub.onError?.(err);
      } catch (e) {
        this.#logger.error({ err: e }, 'watch error callback threw');
      }
    }
  }

  /** Ends the store watch and the bookmark timer. */
  close(): void {
    clearInterval(this.#timer);
    this.#stopStore?.();
    this.#stopStore = undefined;
  }

  #bucket(index: string): Set<WatchSub> {
    let set = this.#indexed.get(index);
    if (!set) {
      set = new Set();
      this.#indexed.set(index, set);
    }
    return set;
  }

  #deliver(sub: WatchSub, e: StoreEvent): void {
    if (e.revision <= sub.after) return;
    sub.after = e.revision;
    const we = toWatchEvent(e, sub.matches);
    if (!we) return;
    try {
      sub.onEvent(we);
    } catch (err) {
      this.#logger.error({ err, key: e.key, revision: e.revision }, 'watch callback threw');
    }
  }

  // One timer per prefix (not per watcher), ticking at the shortest interval asked for.
  #tickMs = Infinity;
  #armBookmarks(intervalMs: number): void {
    if (intervalMs >= this.#tickMs) return;
    clearInterval(this.#timer);
    this.#tickMs = intervalMs;
    this.#timer = setInterval(() => this.#sendBookmarks(), intervalMs).unref();
  }

  #sendBookmarks(): void {
    const now = performance.now();
    const visit = (sub: WatchSub): void => {
      if (sub.bookmarkIntervalMs === undefined || now < sub.nextBookmarkAt) return;
      sub.nextBookmarkAt = now + sub.bookmarkIntervalMs;
      // Everything up to #seen was considered for this watcher, delivered or filtered out: a client
      // resuming from it replays nothing it already decided on.
      sub.after = Math.max(sub.after, this.#seen);
      try {
        sub.onEvent(sub.bookmark(String(sub.after)));
      } catch (err) {
        this.#logger.error({ err }, 'watch bookmark callback threw');
      }
    };
    for (const sub of this.#all) visit(sub);
    for (const set of this.#indexed.values()) for (const sub of set) visit(sub);
  }
}

/**
 * The watch cache of one resource (everything under `/registry/<plural>/`), as the kube-apiserver's
 * cacher keeps one: the current objects, already parsed and carrying their resourceVersion, their keys
 * in order, and a history of recent changes. A LIST is answered from it without reading or parsing the
 * store; a LIST at an older revision (a continue token's, or `resourceVersionMatch=Exact`) rolls the
 * recent changes back over the keys they touched; a watch from a recent revision replays the history.
 * What comes in shares the parts equal to the version it replaces, or for a new object to the last one
 * taken in (shared-subtrees.ts), and its other string values are swapped for canonical copies
 * (string-interner.ts).
 */
import { GoneError, type KubeObject } from '../../api/index.js';
import type { StoreEvent, StoredValue } from '../store/index.js';
import { eventObject, withResourceVersion } from '../registry/watch-filter.js';
import { freezeCached } from './mutation-detector.js';
import { NodeKeyIndex } from './node-index.js';
import { SortedKeys } from './sorted-keys.js';
import { shareEqualSubtrees } from './shared-subtrees.js';
import type { StringInterner } from './string-interner.js';

/** One applied change, with the object it replaced (to roll it back for an older snapshot). */
export interface CacheChange {
  event: StoreEvent;
  prev: KubeObject | undefined;
}

/** A page of a cache read. */
export interface CachePage {
  items: KubeObject[];
  /** Key of the last object looked at (matching or not); the next page starts after it. */
  lastKey: string | undefined;
  /** True when keys under the prefix follow `lastKey`. */
  more: boolean;
  /** Objects under the prefix after `lastKey`, counted only when asked (`countRemaining`). */
  remaining?: number;
}

/** What to read. */
export interface CacheQuery {
  /** A key prefix inside the resource (a namespace's, or the resource's own). */
  prefix: string;
  /** Start after this key (a continue token's). */
  after?: string;
  /** Read the state as of this revision (default: the current one). */
  at?: number;
  matches: (obj: KubeObject) => boolean;
  /**
   * The node every match is bound to (a `spec.nodeName=<node>` selector): a read of the current state
   * then walks only that node's keys (`matches` still decides).
   */
  node?: string;
  /** At most this many matching objects. */
  limit?: number;
  /**
   * Look at no more than this many keys (matching or not): the page then ends with `more`, and the
   * next read starts after its `lastKey`. A long read taken in turns (list-from-cache.ts).
   */
  maxScan?: number;
  countRemaining?: boolean;
}

/** Watch cache of one resource; fed in revision order by `WatchCaches`. */
export class ResourceCache {
  readonly prefix: string;
  readonly #objects = new Map<string, KubeObject>();
  readonly #keys = new SortedKeys();
  readonly #byNode = new NodeKeyIndex();
  readonly #history: CacheChange[] = [];
  readonly #capacity: number;
  /** Every change with a revision above this one is in the history. */
  #historyFrom = 0;
  /** Revision of the store list the cache was loaded from; events up to it are already in. */
  #loadedAt = 0;
  /** Revision of the last change applied. */
  #applied = 0;
  /** One copy of each repeated string value (shared by a store's caches: values repeat across kinds); none for Secrets. */
  readonly #strings: StringInterner | undefined;
  readonly #intern: ((s: string) => string) | undefined;
  /** The object last taken in: a new object's donor of equal parts (a sibling, in a rollout). */
  #lastTaken: KubeObject | undefined;

  constructor(prefix: string, historyCapacity: number, strings?: StringInterner) {
    this.prefix = prefix;
    this.#capacity = historyCapacity;
    this.#strings = strings;
    this.#intern = strings && ((s: string) => strings.intern(s));
  }

  /** Objects held. */
  get size(): number {
    return this.#objects.size;
  }

  /** Revision of the list the cache was loaded from. */
  get loadedAt(): number {
    return this.#loadedAt;
  }

  /** Oldest revision a snapshot or a watch can start from. */
  get historyFrom(): number {
    return this.#historyFrom;
  }

  /** Fills the cache from a store list at `revision` (keys in order, as the store lists them). */
  load(items: readonly StoredValue[], revision: number): void {
    this.#objects.clear();
    this.#byNode.clear();
    this.#lastTaken = undefined;
    for (const sv of items) {
      this.#share(sv.value, this.#lastTaken);
      const obj = freezeCached(withResourceVersion(sv.value, sv.modRevision));
      this.#lastTaken = obj;
      this.#objects.set(sv.key, obj);
      this.#byNode.update(sv.key, undefined, obj);
    }
    this.#keys.reset(items.map((sv) => sv.key));
    this.#history.length = 0;
    this.#loadedAt = revision;
    this.#historyFrom = revision;
    this.#applied = revision;
  }

  /** Applies one store event (ignored when the loaded list already has it). */
  apply(e: StoreEvent): void {
    if (e.revision <= this.#applied) return;
    this.#applied = e.revision;
    const prev = this.#objects.get(e.key);
    if (e.type === 'delete') {
      this.#objects.delete(e.key);
      this.#keys.delete(e.key);
      this.#byNode.update(e.key, prev, undefined);
    } else {
      // The same object the shared watches hand to every watcher of this event: one copy in memory.
      // The resourceVersion first (eventObject sets it in place): it differs from every donor's, so
      // the metadata object is never shared, and setting it never changes a donor.
      const obj = eventObject(e);
      this.#share(obj, prev ?? this.#lastTaken);
      freezeCached(obj);
      this.#lastTaken = obj;
      // The object this change replaced is the one the cache held until now. Its readers (a watch
      // with a selector, the field index) get that one, instead of parsing the store's copy: the
      // history keeps both events, so a parsed copy was a second object per change, and a parse.
      if (prev !== undefined && !e.created) e.prevValue = prev;
      this.#objects.set(e.key, obj);
      if (prev === undefined) this.#keys.add(e.key);
      this.#byNode.update(e.key, prev, obj);
    }
    this.#history.push({ event: e, prev });
    if (this.#history.length > this.#capacity * 2) {
      const dropped = this.#history.splice(0, this.#history.length - this.#capacity);
      this.#historyFrom = dropped[dropped.length - 1]!.event.revision;
    }
  }

  /** Swaps the parts of a parsed `value` equal to `donor`'s for the donor's, and interns its other strings. */
  #share(value: unknown, donor: KubeObject | undefined): void {
    if (this.#intern === undefined || value === null || typeof value !== 'object') return;
    if (donor === undefined) this.#strings!.internValues(value);
    else shareEqualSubtrees(value, donor, this.#intern);
  }

  /** The current object at `key`. */
  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  /** Recent changes after `revision` under `prefix`, oldest first; call only when `revision ≥ historyFrom`. */
  changesAfter(revision: number, prefix: string): StoreEvent[] {
    const out: StoreEvent[] = [];
    for (let i = this.#firstAfter(revision); i < this.#history.length; i++) {
      const e = this.#history[i]!.event;
      if (e.key.startsWith(prefix)) out.push(e);
    }
    return out;
  }

  /**
   * One page of the objects under `q.prefix` as of `q.at`, in key order. Throws GoneError when
   * `q.at` is older than the history (the snapshot cannot be rebuilt).
   */
  read(q: CacheQuery): CachePage {
    const overlay = q.at === undefined || q.at >= this.#applied ? undefined : this.#rollback(q.at, q.prefix);
    // An older snapshot (a continue token's) walks every key: the index holds the current state only.
    if (q.node !== undefined && !overlay) return this.#readNode(q, q.node);
    const start = q.after !== undefined && q.after >= q.prefix ? q.after : undefined;
    // Keys deleted since the snapshot are no longer in #keys: walk them beside it, in order.
    const extra: string[] = [];
    if (overlay)
      for (const [k, v] of overlay)
        if (v !== null && !this.#objects.has(k) && (start === undefined || k > start)) extra.push(k);
    extra.sort();
    const keys = start === undefined ? this.#keys.from(q.prefix) : this.#keys.from(start, true);
    let a: string | undefined = keys.next().value ?? undefined;
    let j = 0;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    const next = (): [string, KubeObject] | undefined => {
      for (;;) {
        const cur = a !== undefined && a.startsWith(q.prefix) ? a : undefined;
        const b = extra[j];
        if (cur === undefined && b === undefined) return undefined;
        let key: string;
        if (cur !== undefined && (b === undefined || cur < b)) {
          key = cur;
          a = keys.next().value ?? undefined;
        } else {
          key = b!;
          j++;
        }
        const v = overlay?.has(key) ? overlay.get(key) : this.#objects.get(key);
        if (v) return [key, v];
      }
    };
    let more = false;
    let scanned = 0;
    for (let entry = next(); entry; entry = next()) {
      if ((q.limit !== undefined && items.length >= q.limit) || (q.maxScan !== undefined && scanned >= q.maxScan)) {
        more = true;
        break;
      }
      scanned++;
      lastKey = entry[0];
      if (q.matches(entry[1])) items.push(entry[1]);
    }
    const page: CachePage = { items, lastKey, more };
    if (more && q.countRemaining) {
      // The entry that stopped the page was taken from the walk: it counts.
      let n = 1;
      while (next()) n++;
      page.remaining = n;
    }
    return page;
  }

  /** `read` of the current state over the keys of the objects bound to `node` only. */
  #readNode(q: CacheQuery, node: string): CachePage {
    const start = q.after !== undefined && q.after >= q.prefix ? q.after : undefined;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    for (const key of this.#byNode.keys(node)) {
      if (!key.startsWith(q.prefix) || (start !== undefined && key <= start)) continue;
      if (q.limit !== undefined && items.length >= q.limit) return { items, lastKey, more: true };
      lastKey = key;
      const obj = this.#objects.get(key);
      if (obj && q.matches(obj)) items.push(obj);
    }
    return { items, lastKey, more: false };
  }

  /** The objects (null: absent) that the changes after `at` replaced, under `prefix`. */
  #rollback(at: number, prefix: string): Map<string, KubeObject | null> {
    if (at < this.#historyFrom)
      throw new GoneError(`too old resource version: ${at} (oldest in the watch cache: ${this.#historyFrom})`);
    const overlay = new Map<string, KubeObject | null>();
    // Newest first: the last write into the map is the oldest change's `prev`, the state at `at`.
    for (let i = this.#history.length - 1; i >= 0; i--) {
      const c = this.#history[i]!;
      if (c.event.revision <= at) break;
      if (c.event.key.startsWith(prefix)) overlay.set(c.event.key, c.prev ?? null);
    }
    return overlay;
  }

  #firstAfter(revision: number): number {
    let lo = 0;
    let hi = this.#history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#history[mid]!.event.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

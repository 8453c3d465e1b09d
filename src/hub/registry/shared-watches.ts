/**
 * The set of shared prefix watches of one registry (see watch-dispatch.ts): opened on the first
 * watcher of a prefix, closed with its last one.
 */
import type { Logger } from '../../api/index.js';
import type { Store } from '../store/index.js';

/**
 * Where shared watches get their events: the store, or the watch caches in front of it (whose
 * revision depends on the resource: a cache loaded from a newer list is ahead of the others).
 */
export interface WatchSource {
  revision(prefix?: string): Promise<number>;
  watch: Store['watch'];
}
import { PrefixWatch, type WatchSub } from './watch-dispatch.js';

/** Recent events kept per prefix for watchers joining from a recent resourceVersion. */
export const DEFAULT_WATCH_RING = 1024;

interface Entry {
  watch: PrefixWatch;
  ready: Promise<void>;
  /** Watchers joined plus joins under way (the entry stays open while any). */
  refs: number;
}

export class SharedWatches {
  readonly #store: WatchSource;
  readonly #logger: Logger;
  readonly #ring: number;
  readonly #entries = new Map<string, Entry>();

  constructor(store: WatchSource, logger: Logger, ring = DEFAULT_WATCH_RING) {
    this.#store = store;
    this.#logger = logger;
    this.#ring = ring;
  }

  /** Watchers served by shared watches (metrics). */
  get watchers(): number {
    let n = 0;
    for (const e of this.#entries.values()) n += e.watch.size;
    return n;
  }

  /** Store watches held by shared watches (metrics). */
  get prefixes(): number {
    return this.#entries.size;
  }

  /**
   * Joins `sub` to the shared watch of `prefix` from `sub.after`; undefined when the shared watch
   * cannot serve that revision (older than its ring), and the caller watches the store itself.
   */
  async join(prefix: string, sub: WatchSub): Promise<(() => void) | undefined> {
    const entry = this.#open(prefix);
    entry.refs++;
    try {
      await entry.ready;
    } catch (err) {
      this.#release(prefix, entry);
      throw err;
    }
    if (!entry.watch.covers(sub.after)) {
      this.#release(prefix, entry);
      return undefined;
    }
    const leave = entry.watch.join(sub);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      leave();
      this.#release(prefix, entry);
    };
  }

  #open(prefix: string): Entry {
    const found = this.#entries.get(prefix);
    if (found) return found;
    const watch = new PrefixWatch(this.#ring, this.#logger);
    const entry: Entry = { watch, refs: 0, ready: Promise.resolve() };
    entry.ready = (async () => {
      const revision = await this.#store.revision(prefix);
      const stop = await this.#store.watch(
        prefix,
        revision,
        (e) => watch.onStoreEvent(e),
        (err) => {
          // Forgotten first, so a watcher told of the break and joining again gets a fresh watch.
          if (this.#entries.get(prefix) === entry) this.#entries.delete(prefix);
          watch.fail(err);
        },
      );
      watch.started(revision, stop);
    })();
    // A failed open is not cached: the next watcher tries again.
    entry.ready.catch(() => {
      if (this.#entries.get(prefix) === entry) this.#entries.delete(prefix);
    });
    this.#entries.set(prefix, entry);
    return entry;
  }

  #release(prefix: string, entry: Entry): void {
    entry.refs--;
    if (entry.refs > 0) return;
    entry.watch.close();
    if (this.#entries.get(prefix) === entry) this.#entries.delete(prefix);
  }
}

/**
 * Encodes watch frames, once per event however many clients watch. The registry hands every
 * watcher of one store event the same object (see registry/watch-filter.ts) and delivers it to all
 * of them in one synchronous pass, so a cache of the last few encodings, keyed by object identity and
 * event type, turns N `JSON.stringify` calls into one. Deliberately tiny (not a WeakMap over every
 * object ever sent): informer caches keep those objects alive, and their bytes would double the
 * hub's memory.
 */
import type { WatchFrame } from '../../api/index.js';

const CACHED = 8;

interface Entry {
  object: object;
  type: string;
  bytes: Uint8Array;
}

/** Per-app encoder of watch frames (newline-delimited JSON). */
export class WatchEncoder {
  readonly #recent: Entry[] = [];
  #hits = 0;
  #misses = 0;

  /** Frames served from the cache / encoded (metrics, tests). */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** The frame's line as bytes. The returned array is shared: callers must not modify it. */
  encode(frame: WatchFrame): Uint8Array {
    // BOOKMARK and ERROR objects are built per watcher: nothing to share.
    if (frame.type === 'BOOKMARK' || frame.type === 'ERROR') return Buffer.from(`${JSON.stringify(frame)}\n`);
    for (const e of this.#recent) {
      if (e.object === frame.object && e.type === frame.type) {
        this.#hits++;
        return e.bytes;
      }
    }
    this.#misses++;
    const bytes = Buffer.from(`${JSON.stringify(frame)}\n`);
    if (this.#recent.length >= CACHED) this.#recent.shift();
    this.#recent.push({ object: frame.object, type: frame.type, bytes });
    return bytes;
  }
}

/**
 * Store keys in key order, the order a LIST answers in and a continue token resumes from, held in a
 * B+ tree (`sorted-btree`): an insert or delete is O(log n), and a page is a walk from a key.
 *
 * It was a sorted array with binary search and `splice`. At 1,000 nodes × 100,000 replicas, with a
 * heap of a few hundred MB under concurrent marking, each insert into the pods' array of ~70,000 keys
 * cost ~100 µs (the move of every later element), 18% of the hub's CPU while the pods were created.
 */
import { createRequire } from 'node:module';
import type * as btree from 'sorted-btree';

// sorted-btree is CommonJS with its class on `exports.default`. Required, not imported: what an ES
// default import of it gives differs between Node (the exports object) and bundlers (the class).
const BTree = (createRequire(import.meta.url)('sorted-btree') as typeof btree.default).default;

/** Keys in ascending (code unit) order, as the store orders them. */
export class SortedKeys {
  #tree = new BTree<string, undefined>();

  get size(): number {
    return this.#tree.size;
  }

  /** The keys from `key` on, in order: those ≥ `key`, or with `after` those > `key`. */
  *from(key: string, after = false): Generator<string, void, undefined> {
    for (const k of this.#tree.keys(key)) if (!after || k !== key) yield k;
  }

  /** Adds `key` unless present. */
  add(key: string): void {
    this.#tree.set(key, undefined, false);
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    this.#tree.delete(key);
  }

  /** Replaces the content with `keys`, which must already be in order (a store list). */
  reset(keys: readonly string[]): void {
    const tree = new BTree<string, undefined>();
    for (const k of keys) tree.set(k, undefined, false);
    this.#tree = tree;
  }
}

/** The first key after every key that starts with `prefix` (the end of its range). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

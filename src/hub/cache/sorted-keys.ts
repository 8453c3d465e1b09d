/**
 * Store keys in key order, the order a LIST answers in and a continue token resumes from. A plain
 * array with binary search: an insert or delete moves pointers (memmove), which at 100,000 keys is
 * microseconds, and a page is a slice of the array rather than a sort of the collection.
 */

/** Keys in ascending (code unit) order, as the store orders them. */
export class SortedKeys {
  readonly #keys: string[] = [];

  get size(): number {
    return this.#keys.length;
  }

  /** The key at `i` (0 ≤ i < size). */
  at(i: number): string | undefined {
    return this.#keys[i];
  }

  /** First index whose key is ≥ `key`. */
  lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > `key`. */
  upperBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `key` unless present. */
  add(key: string): void {
    const i = this.lowerBound(key);
    if (this.#keys[i] !== key) this.#keys.splice(i, 0, key);
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    const i = this.lowerBound(key);
    if (this.#keys[i] === key) this.#keys.splice(i, 1);
  }

  /** Replaces the content with `keys`, which must already be in order (a store list). */
  reset(keys: readonly string[]): void {
    this.#keys.length = 0;
    for (const k of keys) this.#keys.push(k);
  }
}

/** The first key after every key that starts with `prefix` (the end of its range). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Which nodes one scheduling attempt looks at. As kube-scheduler's `percentageOfNodesToScore`: in a
 * large cluster the scheduler stops filtering once it has found "enough" feasible nodes and scores
 * only those; the next attempt starts where this one stopped, so every node gets its turn. Below
 * 100 nodes every node is looked at.
 */

/** Feasible nodes to find before scoring, for a cluster of `total` nodes (kube-scheduler's adaptive rule). */
export function feasibleNodesToFind(total: number, percentage?: number): number {
  const MIN_FEASIBLE = 100;
  if (total <= MIN_FEASIBLE) return total;
  // Adaptive default: 50% at 0 nodes, minus 1% per 125 nodes, at least 5%.
  const pct = percentage ?? Math.max(5, 50 - Math.floor(total / 125));
  if (pct >= 100) return total;
  return Math.max(MIN_FEASIBLE, Math.floor((total * pct) / 100));
}

/** A rotating view over nodes (names, or entries with a name), in name order: each walk starts after where the previous one stopped. */
export class NodeRing<T extends string | { readonly name: string } = string> {
  #items: T[] = [];
  #dirty = true;
  #next = 0;

  constructor(private readonly source: () => Iterable<T>) {}

  /** The set of nodes changed (added or removed): rebuild on the next walk. */
  invalidate(): void {
    this.#dirty = true;
  }

  /** Number of nodes. */
  get size(): number {
    this.#refresh();
    return this.#items.length;
  }

  /**
   * Visits names from the rotating start until `visit` returns false or every name was seen; the
   * next walk starts after the last name visited.
   */
  walk(visit: (item: T) => boolean): void {
    this.#refresh();
    const n = this.#items.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.#next + i) % n;
      const item = this.#items[idx] as T;
      if (!visit(item) || i === n - 1) {
        this.#next = (idx + 1) % n;
        return;
      }
    }
  }

  #refresh(): void {
    if (!this.#dirty) return;
    const nameOf = (x: T): string => (typeof x === 'string' ? x : x.name);
    this.#items = [...this.source()].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
    this.#next = this.#items.length === 0 ? 0 : this.#next % this.#items.length;
    this.#dirty = false;
  }
}

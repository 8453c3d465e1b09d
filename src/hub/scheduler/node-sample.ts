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

/** A rotating view over the node names: each walk starts after where the previous one stopped. */
export class NodeRing {
  #names: string[] = [];
  #dirty = true;
  #next = 0;

  constructor(private readonly source: () => Iterable<string>) {}

  /** The set of nodes changed (added or removed): rebuild on the next walk. */
  invalidate(): void {
    this.#dirty = true;
  }

  /** Number of nodes. */
  get size(): number {
    this.#refresh();
    return this.#names.length;
  }

  /**
   * Visits names from the rotating start until `visit` returns false or every name was seen; the
   * next walk starts after the last name visited.
   */
  walk(visit: (name: string) => boolean): void {
    this.#refresh();
    const n = this.#names.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.#next + i) % n;
      const name = this.#names[idx] as string;
      if (!visit(name) || i === n - 1) {
        this.#next = (idx + 1) % n;
        return;
      }
    }
  }

  #refresh(): void {
    if (!this.#dirty) return;
    this.#names = [...this.source()].sort();
    this.#next = this.#names.length === 0 ? 0 : this.#next % this.#names.length;
    this.#dirty = false;
  }
}

/**
 * Names due at a time: a binary min-heap with one live deadline per name (an earlier `schedule`
 * wins; a superseded heap entry is skipped when it surfaces). The node lifecycle controller keeps one
 * entry per node — when it must next look at it — so a tick costs O(nodes due), not O(all nodes).
 */
export class DeadlineQueue {
  readonly #due = new Map<string, number>();
  #heap: Array<{ at: number; name: string }> = [];

  /** Number of names with a deadline. */
  get size(): number {
    return this.#due.size;
  }

  /** The deadline of `name`, if it has one. */
  dueAt(name: string): number | undefined {
    return this.#due.get(name);
  }

  /** Looks at `name` at `at` at the latest (an earlier deadline already set stays). */
  schedule(name: string, at: number): void {
    const cur = this.#due.get(name);
    if (cur !== undefined && cur <= at) return;
    this.#due.set(name, at);
    this.#push({ at, name });
    // Superseded entries stay in the heap until they surface: rebuild when they outnumber live ones.
    if (this.#heap.length > 2 * this.#due.size + 64) this.#rebuild();
  }

  /** Forgets `name` (its node was deleted). */
  remove(name: string): void {
    this.#due.delete(name);
  }

  /** Removes and returns the names due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const out: string[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const top = this.#pop();
      if (this.#due.get(top.name) !== top.at) continue; // superseded
      this.#due.delete(top.name);
      out.push(top.name);
    }
    return out;
  }

  #rebuild(): void {
    this.#heap = [...this.#due].map(([name, at]) => ({ at, name }));
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  #push(e: { at: number; name: string }): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  #pop(): { at: number; name: string } {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.#down(0);
    }
    return top;
  }

  #down(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= e.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }
}

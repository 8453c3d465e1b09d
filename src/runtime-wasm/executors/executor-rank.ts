/**
 * How the executor pool picks a shared executor for an instance (main thread): available ones before
 * stalled or blocked ones, fixed ones before overflow ones, then the caller's own load (its instances
 * there, so one pod spreads over the cores), then the fewest instances. Split from executor-pool.ts.
 */

/** What the ranking reads of an executor. */
export interface Rankable {
  readonly alive: boolean;
  readonly instanceCount: number;
}

/** The best live executor of `all` by the order above; undefined when none is alive. */
export function rankExecutors<E extends Rankable>(
  all: Iterable<E>,
  available: (e: E) => boolean,
  isOverflow: (e: E) => boolean,
  load: (e: E) => number,
): E | undefined {
  let best: E | undefined;
  let bestKey = Infinity;
  for (const e of all) {
    if (!e.alive) continue;
    // An unavailable executor only when every one is; an overflow one only when no fixed one is.
    const key = (available(e) ? 0 : 1e12) + (isOverflow(e) ? 1e9 : 0) + load(e) * 1e6 + e.instanceCount;
    if (key < bestKey) {
      best = e;
      bestKey = key;
    }
  }
  return best;
}

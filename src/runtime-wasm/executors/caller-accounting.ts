/**
 * What may soon block shared executors in outgoing calls, counted over every pool of the runtime for
 * admission (pools/admission.ts): the requests to caller pods in flight, and the deepest call depth
 * of the nested requests seen lately (how many executors one chain of calls may hold), and the deepest
 * nested request waiting (which one a rescue executor is for).
 */

/** Requests to a caller pod in flight on shared executors: `top` from outside, `unblocked` on available executors. */
export interface CallerCount {
  top: number;
  unblocked: number;
}

/** Requests of one pool that are, or may soon be, blocked in outgoing calls (see pools/admission.ts). */
export interface CallerSource {
  /** Its requests to a caller pod in flight on shared executors. */
  callers(): CallerCount;
  /** The call depth of its deepest nested request waiting for an instance (0: none). */
  waitingDepth(): number;
}

/** How long a nested request at some call depth counts towards {@link CallerAccounting.deepest}. */
const DEPTH_MEMORY_MS = 10_000;

/** The runtime's caller requests and call depths (see the file comment). */
export class CallerAccounting {
  readonly #sources = new Set<CallerSource>();
  /** When a nested request was last seen at each call depth (index: depth). */
  readonly #depthSeenAt: number[] = [];

  /** Counts `source`'s callers in {@link inFlight} (until {@link remove}). */
  add(source: CallerSource): void {
    this.#sources.add(source);
  }

  /** Stops counting `source`. */
  remove(source: CallerSource): void {
    this.#sources.delete(source);
  }

  /** Requests to caller pods in flight over every pool. */
  inFlight(): CallerCount {
    let top = 0;
    let unblocked = 0;
    for (const s of this.#sources) {
      const c = s.callers();
      top += c.top;
      unblocked += c.unblocked;
    }
    return { top, unblocked };
  }

  /** The call depth of the deepest nested request waiting anywhere (0: none; rescue-executors.ts). */
  deepestWaiting(): number {
    let d = 0;
    for (const s of this.#sources) d = Math.max(d, s.waitingDepth());
    return d;
  }

  /** Notes a nested request at call `depth` on this runtime (for {@link deepest}). */
  sawDepth(depth: number, now = Date.now()): void {
    if (depth > 0) this.#depthSeenAt[Math.min(depth, 64)] = now;
  }

  /** The deepest call depth of the nested requests seen lately (0: none). */
  deepest(now = Date.now()): number {
    for (let d = this.#depthSeenAt.length - 1; d > 0; d--)
      if (now - (this.#depthSeenAt[d] ?? -Infinity) < DEPTH_MEMORY_MS) return d;
    return 0;
  }
}

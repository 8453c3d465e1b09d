/**
 * When a request may take a shared executor, so that guests blocked in outgoing calls can always get
 * the requests they wait for served, and when to give up on one that cannot be (main thread).
 *
 * An executor whose guest waits for an outgoing call can run nothing else; if every executor were
 * taken by such callers, the requests they wait for (their callees on this same runtime) could run
 * nowhere. So a request to a pod that has been seen calling out (a *caller*) is held back while
 * executors are scarce, the more so the less it is needed. What is scarce is counted ahead: a caller
 * request already sent to an executor that is not blocked yet will block it (its call comes a moment
 * later), so the *headroom* is the spare executors (available now, or startable under the overflow
 * bound) less the callers in flight on available ones. Counting only the executors blocked right now
 * let a burst of requests from outside all pass before the first of them called out, and take every
 * executor their callees then needed.
 * - from outside (depth 0): only while the headroom is more than `reserve`, and while the chains in
 *   flight plus this one can each block one executor per calling level (the deepest call depth seen
 *   lately) with one left for their ends — so excess requests wait in their pod's queue;
 * - nested (a blocked guest waits for it): while the headroom is more than one, leaving one for the
 *   end of the chain — or when the spare ones are idle anyway (nothing running could free another).
 * Requests to pods that never called out are never held back: they do not block executors.
 *
 * A nested request whose pod is at its size limit with every instance waiting for an outgoing call
 * may still start an instance (up to twice the limit): what they wait for may be queued right there
 * (a service calling itself, two calling each other). It can still find nothing to serve it when no
 * executor can take work (all blocked or stalled, none can be started) — that is where such loops
 * end: after {@link NESTED_PATIENCE_MS} it is refused, so the chain fails fast with an error instead
 * of at its deadline.
 */
import type { ExecutorPool } from '../executors/executor-pool.js';

/** Whether a request at call `depth` to a pod that calls out (`callsOut`) may be dispatched now. */
export function admits(executors: ExecutorPool, depth: number, callsOut: boolean): boolean {
  if (!callsOut) return true;
  // Callers in flight on executors not blocked yet will block them: count those executors as taken.
  const { top, unblocked } = executors.calls.inFlight();
  const headroom = executors.spare() - unblocked;
  if (depth === 0) {
    if (headroom <= executors.reserve) return false;
    // Each chain in flight may block one executor per calling level, and the ends need one more.
    const levels = Math.max(1, executors.calls.deepest());
    return top === 0 || (top + 1) * levels + 1 <= executors.capacity();
  }
  return headroom > 1 || executors.availableIdle();
}

/** How long a nested request may wait where nothing can serve it before it is refused. */
export const NESTED_PATIENCE_MS = 1000;

/** Why nothing can serve a nested request now, if so (see the file comment). */
export function stuckReason(executors: ExecutorPool): string | undefined {
  if (executors.spare() > 0) return undefined;
  return 'no wasm executor can take it: every one is blocked in outgoing calls (or stalled) and no more can be started (does a service call itself?)';
}

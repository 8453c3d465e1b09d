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
 * (a service calling itself, two calling each other).
 *
 * These rules are a forecast: they learn who calls out, and how deep chains go, from what they see,
 * so a first burst of chains deeper than any seen lately can still fill every shared executor with
 * callers. Then the deepest nested request waiting gets a *rescue* executor of its own, one at a
 * time and a bounded number (executors/rescue-executors.ts), so every chain still reaches its end.
 * A nested request finds nothing to serve it only when no shared executor can take work (all blocked
 * or stalled, none can be started) and no rescue executor can help (each blocked, no more may be
 * started) — that is where loops end (each level blocks one more): after {@link NESTED_PATIENCE_MS}
 * it is refused, so the chain fails fast with an error instead of at its deadline.
 */
import type { ExecutorPool } from '../executors/executor-pool.js';
import type { PoolQueue } from './pool-queue.js';

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

/**
 * Whether a nested request at call `depth` may have a rescue executor now: no shared executor can
 * take work, it is the deepest waiting, and one may be started (see the file comment).
 */
function mayRescue(executors: ExecutorPool, depth: number): boolean {
  if (depth === 0 || executors.spare() > 0 || !executors.rescue.canStart()) return false;
  return depth >= executors.calls.deepestWaiting();
}

/**
 * For a pool's waiting requests, when an executor may have become available: refuses the nested ones
 * that waited longer than {@link NESTED_PATIENCE_MS} where nothing can serve them, or else calls
 * `rescue` with the depth of its deepest one when that may have a rescue executor (see the file comment).
 */
export function refuseOrRescue(executors: ExecutorPool, queue: PoolQueue, rescue?: (depth: number) => void): void {
  const stuck = stuckReason(executors);
  if (stuck) {
    for (const job of queue.takeNestedQueuedBefore(Date.now() - NESTED_PATIENCE_MS)) job.onResult({ refused: stuck });
    return;
  }
  const depth = queue.deepestNested();
  if (rescue && mayRescue(executors, depth)) rescue(depth);
}

/** Why nothing can serve a nested request now, if so (see the file comment). */
export function stuckReason(executors: ExecutorPool): string | undefined {
  if (executors.spare() > 0 || executors.rescue.mayHelp()) return undefined;
  return 'no wasm executor can take it: every one is blocked in outgoing calls (or stalled), rescue ones included, and no more can be started (does a service call itself?)';
}

/**
 * The options of the executor pool (executor-pool.ts), which re-exports them: how many shared
 * executors, how far overflow ones may go and how soon they retire, when one counts as stalled, and
 * where the guests' outgoing calls go; and the shape of its counts.
 */
import type { Logger } from '../../api/index.js';
import type { OutgoingDispatch } from '../outgoing/outgoing-dispatch.js';

/** Options of `ExecutorPool`. */
export interface ExecutorPoolOptions {
  /** Shared executors (default: one per core). */
  size?: number;
  /** Shared executors at most, overflow ones included (default: 4 × `size`). */
  maxShared?: number;
  /** An overflow executor with nothing pending this long is retired (default 10 s). */
  overflowIdleMs?: number;
  /** A shared executor busy with one request (or run) this long is stalled (default 100 ms). */
  stallMs?: number;
  /** Delivers the guests' outgoing HTTP calls; absent: every call is denied. */
  outgoing?: OutgoingDispatch;
  logger: Logger;
}

/** Overflow and rescue executors running now, and those started (or replaced) so far (`ExecutorPool.counts`). */
export interface ExecutorCounts {
  overflow: number;
  overflowStarts: number;
  rescue: number;
  rescueStarts: number;
  replacements: number;
}

/**
 * Starting an executor's worker thread (main thread): its heap bound, the shared activity buffer and
 * the outgoing-call port it gets, and how its crash or exit is worded. Split from executor.ts, which
 * drives the worker once started.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../platform/index.js';
import type { OutgoingCalls } from '../outgoing/outgoing-calls.js';
import type { FromWorker } from './executor-protocol.js';

/**
 * V8 old-generation heap (MiB) of an executor worker. Guests' linear memories are not in it (they are
 * bounded by their memory limits and the node's Wasm budget); what is, is jco's glue, host-side
 * resources and buffers, which per-instance host budgets keep small. The bound is there so that a
 * leak or a way around those budgets kills one executor (its instances restart) rather than the agent.
 */
export const EXECUTOR_HEAP_MB = 512;

/** What a new executor worker is given, and whom it reports to. */
export interface ExecutorWorkerStart {
  /** The shared activity slots (executor-activity.ts). */
  activity: SharedArrayBuffer;
  /** The worker's end of the outgoing-call channel (outgoing-calls.ts). */
  outgoing: OutgoingCalls['workerEnd'];
  heapMb?: number | undefined;
  onMessage(msg: FromWorker): void;
  /** The worker is gone (crashed, out of heap, exited), with the reason in words. */
  onLost(reason: string): void;
}

/** Spawns the executor worker and wires its messages, errors and exit. */
export function startExecutorWorker(start: ExecutorWorkerStart): Worker {
  const heapMb = start.heapMb ?? EXECUTOR_HEAP_MB;
  const worker = spawnWorker(new URL('../worker/executor-worker.js', import.meta.url), {
    workerData: { activity: start.activity, outgoing: start.outgoing },
    transferList: [start.outgoing.port],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  worker.on('message', (msg: FromWorker) => start.onMessage(msg));
  // A worker out of heap (ERR_WORKER_OUT_OF_MEMORY) is lost like any crashed one: its instances'
  // owners hear it and restart them elsewhere; the agent's own heap is not touched.
  worker.on('error', (err: Error & { code?: string }) =>
    start.onLost(
      err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `executor worker ran out of heap (limit ${heapMb} MiB)`
        : `executor worker crashed: ${err.message}`,
    ),
  );
  worker.on('exit', (code) => start.onLost(`executor worker exited with code ${code}`));
  return worker;
}

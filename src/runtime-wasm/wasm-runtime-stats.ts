/** The Wasm runtime's counters (`WasmRuntime.stats`), for tests and benchmarks. */
import type { ExecutorPool } from './executors/executor-pool.js';
import type { MemoryBudget } from './memory/memory-budget.js';

/** Counters of one runtime (`sharedExecutors` and `instancesPerExecutor`: the fixed executors). */
export interface WasmRuntimeStats {
  sharedExecutors: number;
  /** Executor worker threads alive now, of every kind (0 while the runtime has no container). */
  executorThreads: number;
  instancesPerExecutor: number[];
  executorReplacements: number;
  isolatedPods: number;
  overflowExecutors: number;
  overflowStarts: number;
  /** Rescue executors (one nested request each, beyond `maxShared`) alive now, and started so far. */
  rescueExecutors: number;
  rescueStarts: number;
  pendingOutgoingCalls: number;
  stalledExecutors: number;
  memoryBudget: { total: number; reserved: number };
  /** Guest execution time on every executor so far (seconds): executor utilisation is its rate. */
  guestSeconds: number;
}

/** Reads the counters now. */
export function runtimeStats(executors: ExecutorPool, isolatedPods: number, budget: MemoryBudget): WasmRuntimeStats {
  const counts = executors.counts;
  return {
    sharedExecutors: executors.shared.length,
    executorThreads: executors.threads,
    instancesPerExecutor: executors.shared.map((e) => e.instanceCount),
    executorReplacements: counts.replacements,
    isolatedPods,
    overflowExecutors: counts.overflow,
    overflowStarts: counts.overflowStarts,
    rescueExecutors: counts.rescue,
    rescueStarts: counts.rescueStarts,
    pendingOutgoingCalls: executors.pendingOutgoingCalls,
    stalledExecutors: executors.stalledCount,
    memoryBudget: { total: budget.total, reserved: budget.reserved },
    guestSeconds: executors.guestNanoSeconds / 1e9,
  };
}

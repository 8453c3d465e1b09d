/**
 * The Wasm runtime's settings read from its deps, with their defaults: the executors' options, the
 * instance pools' limits, and how often the runtime sweeps idle instances and executors.
 */
import type { Logger } from '../api/index.js';
import type { ExecutorPoolOptions } from './executors/executor-pool.js';
import type { OutgoingDispatch } from './outgoing/outgoing-dispatch.js';
import type { PoolLimits } from './wasm-container-deps.js';
import type { WasmRuntimeDeps } from './wasm-runtime-deps.js';

/** The executor pool's options (unset ones keep the pool's own defaults). */
export function executorPoolOptions(
  deps: WasmRuntimeDeps,
  logger: Logger,
  outgoing: OutgoingDispatch | undefined,
): ExecutorPoolOptions {
  return {
    logger,
    ...(deps.executors !== undefined ? { size: deps.executors } : {}),
    ...(deps.maxExecutors !== undefined ? { maxShared: deps.maxExecutors } : {}),
    ...(deps.overflowIdleMs !== undefined ? { overflowIdleMs: deps.overflowIdleMs } : {}),
    ...(deps.stallMs !== undefined ? { stallMs: deps.stallMs } : {}),
    ...(outgoing ? { outgoing } : {}),
  };
}

/** Each container's instance pool: at least one instance kept, at most 8 by default. */
export function poolLimitsOf(deps: WasmRuntimeDeps): PoolLimits {
  const min = Math.max(1, deps.minInstances ?? 1);
  return {
    min,
    max: Math.max(min, deps.maxInstances ?? 8),
    instantiateTimeoutMs: deps.instantiateTimeoutMs ?? 30_000,
  };
}

/** The sweep's period: half the shortest idle time it enforces, between 50 ms and 10 s. */
export function sweepIntervalMs(instanceIdleMs: number, idleReleaseMs: number): number {
  return Math.max(50, Math.min(instanceIdleMs / 2, idleReleaseMs > 0 ? idleReleaseMs / 2 : Infinity, 10_000));
}

/** What an `InstancePool` (instance-pool.ts) is built with. */
import type { Logger } from '../../api/index.js';
import type { ExecutorPool } from '../executors/executor-pool.js';
import type { InstanceSpec } from '../executors/executor-protocol.js';
import type { PoolMemory } from '../memory/pool-memory.js';
import type { CoreModule } from '../wasm-global.js';

/** Dependencies of {@link InstancePool}. */
export interface InstancePoolDeps {
  /** The spec of a new instance (id given). */
  spec(instanceId: number): InstanceSpec;
  modules: Record<string, CoreModule>;
  executors: ExecutorPool;
  /** Host the instances on a dedicated executor (the pod is isolated). */
  isolated: boolean;
  min: number;
  max: number;
  /** A stuck instantiation (a start function that never returns) is killed after this. */
  instantiateTimeoutMs: number;
  logger: Logger;
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** The pool cannot go on (no instance can be made, or its executor died running one of ours). */
  onFailure(message: string): void;
  /** The container's share of the Wasm memory budget (its `min` instances reserved already). */
  memory: PoolMemory;
  /** Guest time and memory an executor reported for one of its instances (metrics). */
  onUsage?(instanceId: number, cpuNs: number, memoryBytes: number): void;
}

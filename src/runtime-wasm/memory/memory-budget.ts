/**
 * The node's budget for Wasm linear memory, shared by every Wasm container (main thread).
 *
 * Accounting: every live or starting instance holds a reservation of its container's memory limit
 * (times the memories its component defines) from before it is instantiated until it is dropped.
 * A limit is a hard ceiling (memory-limit.ts rewrites the modules' maxima, V8 refuses to grow past
 * it), so the linear memory of all instances together never exceeds what is reserved, and what is
 * reserved never exceeds the budget: the budget, not the guests, decides the agent's worst case, and
 * a budget below what the machine (or the agent's cgroup) has keeps the kernel's OOM killer away.
 * Reserving `limit × maxInstances` per pod would guarantee the same but leave most of the budget
 * idle; per instance, a pod holds only what it runs, and growth past the budget is refused (its
 * requests wait for an instance) instead of overcommitting.
 *
 * A container reserves its first instances (`minInstances`; one for a command) when it is created
 * and is refused with {@link WasmMemoryBudgetError} when they do not fit; its pool reserves one more
 * limit per instance it grows by (pool-memory.ts); an exec reserves its one instance.
 *
 * What is not counted: the JS heap of the bindings and of the executors (bounded separately), and a
 * dropped instance's memory between its release here and the executor's next garbage collection.
 */
import os from 'node:os';
import { CreateContainerError, formatBytes } from '../../api/index.js';

/** Default budget: this fraction of the memory the agent may use (physical, or its cgroup's limit). */
export const DEFAULT_BUDGET_FRACTION = 0.5;

/** Default memory limit of a Wasm container without `resources.limits.memory`. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 128 * 2 ** 20;

/** The memory the agent may use: physical memory, or less when its cgroup says so. */
export function usableMemoryBytes(): number {
  const total = os.totalmem();
  // Node reports 2^64 (or 0) when no cgroup limit applies.
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/** The default Wasm memory budget ({@link DEFAULT_BUDGET_FRACTION} of {@link usableMemoryBytes}, whole MiB). */
export function defaultMemoryBudgetBytes(): number {
  return Math.floor((usableMemoryBytes() * DEFAULT_BUDGET_FRACTION) / 2 ** 20) * 2 ** 20;
}

/** A quantity for messages: `256Mi`, `1Gi`, `1.5Gi`. */
export function formatMemory(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 !== 0 && (bytes * 10) % 2 ** 30 === 0)
    return `${(bytes / 2 ** 30).toFixed(1)}Gi`;
  return formatBytes(bytes);
}

/**
 * A container cannot be created: its instances' memory does not fit in the node's Wasm memory
 * budget. The pod shows it as its container's waiting reason (`WasmMemoryBudgetExceeded`).
 */
export class WasmMemoryBudgetError extends CreateContainerError {
  constructor(message: string) {
    super(message, undefined, 'WasmMemoryBudgetExceeded');
  }
}

/** The node's Wasm memory budget (see the file comment). */
export class MemoryBudget {
  readonly total: number;
  #reserved = 0;

  /** `totalBytes`: the budget (positive, finite). */
  constructor(totalBytes: number) {
    if (!Number.isFinite(totalBytes) || totalBytes <= 0)
      throw new RangeError(`a Wasm memory budget must be a positive number of bytes, not ${totalBytes}`);
    this.total = totalBytes;
  }

  /** Bytes reserved by instances now. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Bytes still free. */
  get free(): number {
    return this.total - this.#reserved;
  }

  /** Reserves `bytes` if they fit; false (and nothing reserved) when they do not. */
  tryReserve(bytes: number): boolean {
    if (bytes > this.free) return false;
    this.#reserved += bytes;
    return true;
  }

  /** Gives back `bytes` reserved earlier. */
  release(bytes: number): void {
    this.#reserved = Math.max(0, this.#reserved - bytes);
  }

  /** Why `needBytes` do not fit, naming the budget: `needs 256Mi, node budget 1Gi has 128Mi free`. */
  shortfall(needBytes: number): string {
    return `needs ${formatMemory(needBytes)}, node budget ${formatMemory(this.total)} has ${formatMemory(this.free)} free`;
  }
}

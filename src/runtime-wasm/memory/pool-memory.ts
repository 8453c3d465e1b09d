/**
 * One container's share of the node's Wasm memory budget (memory-budget.ts), counted in instance
 * slots of `perInstance` bytes each. The container reserves its first `base` slots when it is
 * created (refused there when they do not fit), so its pool can always keep `min` instances, even
 * re-creating lost ones; each instance beyond them takes one more slot before it is started and
 * gives it back once the pool is smaller again. Main thread only.
 */
import { ServiceUnavailableError, type Logger } from '../../api/index.js';
import { type MemoryBudget, WasmMemoryBudgetError } from './memory-budget.js';

/** A container's reservation in the Wasm memory budget. */
export class PoolMemory {
  readonly #budget: MemoryBudget;
  /** Bytes one instance may use (its limit × the memories its component defines). */
  readonly perInstance: number;
  readonly #base: number;
  readonly #logger: Logger;
  #slots = 0;
  #closed = false;
  /** Growth was refused (logged once until a slot is granted again). */
  #refused = false;

  private constructor(budget: MemoryBudget, perInstance: number, base: number, logger: Logger) {
    this.#budget = budget;
    this.perInstance = perInstance;
    this.#base = base;
    this.#logger = logger;
  }

  /**
   * Reserves `base` instances of `perInstance` bytes for container `name`; throws
   * {@link WasmMemoryBudgetError} naming the budget when they do not fit.
   */
  static reserve(budget: MemoryBudget, name: string, perInstance: number, base: number, logger: Logger): PoolMemory {
    const need = perInstance * base;
    if (!budget.tryReserve(need)) {
      throw new WasmMemoryBudgetError(
        `cannot create container ${name}: Wasm memory ${budget.shortfall(need)} (${base} × ${instanceWords(perInstance)})`,
      );
    }
    const m = new PoolMemory(budget, perInstance, base, logger);
    m.#slots = base;
    return m;
  }

  /** Instance slots held now. */
  get slots(): number {
    return this.#closed ? 0 : this.#slots;
  }

  /**
   * Makes sure there is a slot for one more instance when `inUse` (live + starting) already hold
   * theirs: true when there is one or the budget grants it, false when the budget is full (logged
   * once per refusal streak).
   */
  acquire(inUse: number): boolean {
    if (this.#closed) return false;
    if (inUse < this.#slots) return true;
    if (!this.#budget.tryReserve(this.perInstance)) {
      if (!this.#refused)
        this.#logger.warn(
          { instances: inUse },
          `wasm instance pool not grown: ${this.refusal()}; requests wait for an instance`,
        );
      this.#refused = true;
      return false;
    }
    this.#refused = false;
    this.#slots++;
    return true;
  }

  /** Gives back the slots beyond `max(base, inUse)`. */
  trim(inUse: number): void {
    if (this.#closed) return;
    const keep = Math.max(this.#base, inUse);
    if (this.#slots <= keep) return;
    this.#budget.release((this.#slots - keep) * this.perInstance);
    this.#slots = keep;
  }

  /** Why growth was refused (for logs and 503s). */
  refusal(): string {
    return `Wasm memory ${this.#budget.shortfall(this.perInstance)}`;
  }

  /**
   * One instance outside the pool (an exec): reserves one more instance for as long as `run` takes;
   * throws ServiceUnavailableError (503: try again later) naming the budget when it does not fit.
   */
  async extra<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed || !this.#budget.tryReserve(this.perInstance))
      throw new ServiceUnavailableError(`cannot ${what}: Wasm memory ${this.#budget.shortfall(this.perInstance)}`);
    try {
      return await run();
    } finally {
      this.#budget.release(this.perInstance);
    }
  }

  /** Gives everything back (the container ended: its instances are gone). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#budget.release(this.#slots * this.perInstance);
    this.#slots = 0;
  }
}

function instanceWords(perInstance: number): string {
  const mib = perInstance / 2 ** 20;
  return `${Number.isInteger(mib) ? `${mib}Mi` : `${perInstance} bytes`} per instance`;
}

/**
 * The instantiations in flight for one InstancePool: how many go to each executor (placement counts
 * them as already there), a watchdog that kills an executor whose instantiation hangs (a start
 * function that never returns), and which of them took their executor down.
 */
import type { Executor, ExecutorLoss, InstanceOwner } from '../executors/executor.js';
import type { InstanceSpec } from '../executors/executor-protocol.js';
import type { CoreModule } from '../wasm-global.js';

/** Bookkeeping of one pool's instantiations in flight. */
export class StartingInstances {
  readonly #ids = new Set<number>();
  readonly #perExecutor = new Map<Executor, number>();
  /** Instances whose executor died while instantiating them. */
  readonly #culprits = new Set<number>();

  /** Instantiations in flight. */
  get count(): number {
    return this.#ids.size;
  }

  /** Instantiations in flight on `executor`. */
  on(executor: Executor): number {
    return this.#perExecutor.get(executor) ?? 0;
  }

  /** Instantiations in flight on executors for which `usable` holds. */
  countOn(usable: (executor: Executor) => boolean): number {
    if (this.#perExecutor.size === 0) return 0;
    let n = 0;
    for (const [e, k] of this.#perExecutor) if (usable(e)) n += k;
    return n;
  }

  /** Notes that `loss` happened while one of ours was instantiating there (see {@link wasCulprit}). */
  blame(loss: ExecutorLoss): void {
    if (loss.culpritInstanceId !== undefined && this.#ids.has(loss.culpritInstanceId))
      this.#culprits.add(loss.culpritInstanceId);
  }

  /** Whether instance `id`'s own instantiation took its executor down (asked once, after a failure). */
  wasCulprit(id: number): boolean {
    return this.#culprits.delete(id);
  }

  /** Instantiates `spec` on `executor` for `owner`, killing the executor past `timeoutMs`. */
  async run(
    executor: Executor,
    spec: InstanceSpec,
    modules: Record<string, CoreModule>,
    owner: InstanceOwner,
    timeoutMs: number,
  ): Promise<void> {
    const id = spec.instanceId;
    this.#ids.add(id);
    this.#perExecutor.set(executor, this.on(executor) + 1);
    const timer = setTimeout(() => {
      if (executor.isRunningInstance(id))
        void executor.terminate(`instantiation of instance ${id} took longer than ${timeoutMs} ms`);
    }, timeoutMs);
    try {
      await executor.instantiate(spec, modules, owner);
    } finally {
      clearTimeout(timer);
      this.#ids.delete(id);
      const n = this.on(executor) - 1;
      if (n > 0) this.#perExecutor.set(executor, n);
      else this.#perExecutor.delete(executor);
    }
  }
}

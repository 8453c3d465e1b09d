/**
 * Starting the instances of one InstancePool (main thread): placement — the pod's dedicated executor
 * when it is isolated, else the shared executor with the fewest of its instances (those starting
 * counted) — the instantiation itself, retried when a neighbour's overrun took the executor down
 * meanwhile (never when the instance's own start function did), keeping at least `min`, and what a
 * failed start means: before the first instance is up the pool's start() rejects; later the pool
 * goes on with the instances it has, and fails only when it has none left.
 */
import { errorMessage, type Logger } from '../../api/index.js';
import { ExecutorLostError, type Executor, type InstanceOwner } from '../executors/executor.js';
import type { ExecutorPool } from '../executors/executor-pool.js';
import type { InstanceSpec } from '../executors/executor-protocol.js';
import type { CoreModule } from '../wasm-global.js';
import type { PoolMemory } from '../memory/pool-memory.js';
import { newInstanceId } from './pool-job.js';
import type { PoolInstances } from './pool-instances.js';
import type { StartingInstances } from './starting-instances.js';

/** Dependencies of {@link InstanceStarter}. */
export interface InstanceStarterDeps {
  /** The spec of a new instance (id given). */
  spec(instanceId: number): InstanceSpec;
  modules: Record<string, CoreModule>;
  executors: ExecutorPool;
  /** A stuck instantiation (a start function that never returns) is killed after this. */
  instantiateTimeoutMs: number;
  /** Whom the new instances report to (output, outgoing calls, executor losses). */
  owner: InstanceOwner;
  /** The pool's live instances (placement spreads them over the executors). */
  instances: PoolInstances;
  /** The pool's instantiations in flight. */
  starting: StartingInstances;
  /** Whether the pod is isolated (its instances get an executor of their own). */
  isolated(): boolean;
  /** Instances to keep at least. */
  min: number;
  /** The pool's share of the Wasm memory budget (trimmed to what is in use after a failure). */
  memory: PoolMemory;
  logger: Logger;
  /** Whether the pool is closed (nothing is started or retried then). */
  closed(): boolean;
  /** An instance is up (the pool adds it; when closed, it drops it). */
  onStarted(instance: StartedInstance): void;
  /** The pool cannot go on: no instance is left or starting, and the last start failed. */
  onFailure(message: string): void;
}

/** An instance started on an executor. */
export interface StartedInstance {
  id: number;
  executor: Executor;
}

/** Places and starts one pool's instances (see the file comment). */
export class InstanceStarter {
  readonly #deps: InstanceStarterDeps;
  #dedicated: Executor | undefined;
  /** Whether an instance has been up once (failures before that are start()'s to report). */
  #started = false;

  constructor(deps: InstanceStarterDeps) {
    this.#deps = deps;
  }

  /**
   * Where a new instance goes: the pod's dedicated executor when isolated, else the shared one with
   * the fewest of its instances, available ones only unless `fallback` (then any live one).
   */
  placement(fallback: true): Executor;
  placement(fallback: boolean): Executor | undefined;
  placement(fallback: boolean): Executor | undefined {
    const { executors, instances, starting } = this.#deps;
    if (this.#deps.isolated()) {
      if (!this.#dedicated?.alive) this.#dedicated = executors.dedicated(true);
      return this.#dedicated;
    }
    const mine = instances.perExecutor();
    const load = (e: Executor): number => (mine.get(e) ?? 0) + starting.on(e);
    return executors.pickAvailable(load) ?? (fallback ? executors.pick(load) : undefined);
  }

  /** Instances live or starting. */
  get inUse(): number {
    return this.#deps.instances.size + this.#deps.starting.count;
  }

  /** Starts the first `min` instances; resolves when the first is up, rejects if it fails. */
  async startFirst(): Promise<void> {
    const first = this.launch();
    for (let i = 1; i < this.#deps.min; i++) void this.launch().catch(() => undefined);
    await first;
  }

  /** Starts instances (anywhere) up to `min`. */
  keepMin(): void {
    while (!this.#deps.closed() && this.inUse < this.#deps.min) void this.launch().catch(() => undefined);
  }

  /** Starts one instance on `executor` (default: {@link placement}) and hands it to the pool. */
  async launch(executor?: Executor): Promise<void> {
    let started: StartedInstance;
    try {
      started = await this.#start(executor);
    } catch (err) {
      this.#afterFailure(errorMessage(err));
      throw err;
    }
    if (!this.#deps.closed()) this.#started = true;
    this.#deps.onStarted(started);
  }

  async #start(executor: Executor = this.placement(true), attempt = 0): Promise<StartedInstance> {
    const { modules, owner, instantiateTimeoutMs, starting } = this.#deps;
    const id = newInstanceId();
    try {
      await starting.run(executor, this.#deps.spec(id), modules, owner, instantiateTimeoutMs);
    } catch (err) {
      // A neighbour's overrun took the executor down mid-instantiation: not our fault, try again.
      const retry = err instanceof ExecutorLostError && !starting.wasCulprit(id) && attempt < 2 && !this.#deps.closed();
      if (retry) return this.#start(this.placement(true), attempt + 1);
      throw err;
    }
    return { id, executor };
  }

  #afterFailure(message: string): void {
    this.#deps.memory.trim(this.inUse);
    // Before the first instance is up, start() rejects and the container reports it.
    if (this.#deps.closed() || !this.#started) return;
    if (this.inUse === 0) {
      this.#deps.onFailure(`cannot instantiate: ${message}`);
      return;
    }
    this.#deps.logger.warn({ err: message }, 'wasm instance failed to start; the pool keeps the instances it has');
  }

  /** Ends the pod's dedicated executor, if it has one. */
  close(): void {
    void this.#dedicated?.terminate('container ended');
  }
}

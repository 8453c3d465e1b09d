/**
 * `WasmRuntime`: the `Runtime` for `runtimeClassName: wasm`. Pulls components by digest, transpiles
 * them once (jco, cached on disk and compiled in memory, per memory limit), and runs containers'
 * instances on a small pool of executor worker threads shared by all pods (one per core by default).
 * A pod whose request overran its deadline is isolated: its later containers (and execs) get
 * executors of their own, so its neighbours stop paying for it. Every instance's linear memory is
 * bounded (the container's limit, else the node's default) and counted in the node's Wasm memory
 * budget (memory-budget.ts). Idle instances and executors are released by idle-sweep.ts.
 */
import { join } from 'node:path';
import { CreateContainerError, NotFoundError, ServiceUnavailableError, errorMessage } from '../api/index.js';
import type {
  ContainerConfig,
  ContainerStats,
  ContainerEvent,
  ContainerRuntimeStatus,
  ExecOptions,
  ExecProcess,
  ExecResult,
  ExecStreamOptions,
  Logger,
  PullOptions,
  PulledImage,
  Runtime,
  WorkloadEndpoint,
} from '../api/index.js';
import type { CriLogRotation } from '../platform/index.js';
import { ExecutorPool } from './executors/executor-pool.js';
import { ImageStore } from './images/image-store.js';
import { DEFAULT_MEMORY_LIMIT_BYTES, MemoryBudget, defaultMemoryBudgetBytes } from './memory/memory-budget.js';
import { OutgoingDispatch } from './outgoing/outgoing-dispatch.js';
import { TranspileCache } from './images/transpile-cache.js';
import { prepareComponent } from './container-prepare.js';
import { WasmContainer, type PoolLimits } from './wasm-container.js';
import { MountUsage, releaseMounts } from './container-mounts.js';
import { takeContainerResources } from './container-resources.js';
import { runtimeStats, type WasmRuntimeStats } from './wasm-runtime-stats.js';
import { executorPoolOptions, poolLimitsOf } from './wasm-runtime-options.js';
import { IdleSweep } from './idle-sweep.js';
import type { WasmRuntimeDeps } from './wasm-runtime-deps.js';

export type { WasmRuntimeDeps } from './wasm-runtime-deps.js';
export type { WasmRuntimeStats } from './wasm-runtime-stats.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How long a streaming exec may run (kubectl going away ends it sooner). */
const EXEC_STREAM_TIMEOUT_MS = 3600_000;
/** How long executors and compiled modules outlive the last container by default (`--wasm-idle-release`). */
export const DEFAULT_EXECUTOR_IDLE_RELEASE_MS = 5 * 60_000;

/** The Wasm component runtime. Create with {@link WasmRuntime.create}. */
export class WasmRuntime implements Runtime {
  readonly name = 'wasm';
  readonly #images: ImageStore;
  readonly #transpiler: TranspileCache;
  readonly #logger: Logger;
  readonly #requestTimeoutMs: number;
  readonly #executors: ExecutorPool;
  readonly #poolLimits: PoolLimits;
  readonly #containers = new Map<string, WasmContainer>();
  readonly #listeners = new Set<(event: ContainerEvent) => void>();
  /** Pods (by uid) that overran a deadline: their containers get executors of their own. */
  readonly #isolatedPods = new Set<string>();
  readonly #idle: IdleSweep;
  readonly #outgoing: OutgoingDispatch | undefined;
  readonly #defaultMemoryLimit: number;
  readonly #budget: MemoryBudget;
  /** Byte counters of size-limited writable mounts, shared by the containers mounting them. */
  readonly #mountUsage = new MountUsage();
  readonly #logRotation: CriLogRotation | undefined;
  #closed = false;

  private constructor(images: ImageStore, transpiler: TranspileCache, logger: Logger, deps: WasmRuntimeDeps) {
    this.#images = images;
    this.#transpiler = transpiler;
    this.#logger = logger;
    this.#requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#outgoing = deps.outgoingHttp ? new OutgoingDispatch(deps.outgoingHttp, this.#requestTimeoutMs) : undefined;
    this.#executors = new ExecutorPool(executorPoolOptions(deps, logger, this.#outgoing));
    this.#defaultMemoryLimit = deps.defaultMemoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.#logRotation = deps.containerLogs;
    this.#budget = new MemoryBudget(deps.memoryBudgetBytes ?? defaultMemoryBudgetBytes());
    this.#poolLimits = poolLimitsOf(deps);
    this.#idle = new IdleSweep({
      executors: this.#executors,
      transpiler,
      logger,
      containers: this.#containers,
      closed: () => this.#closed,
      instanceIdleMs: deps.instanceIdleMs ?? 30_000,
      idleReleaseMs: Math.max(0, deps.executorIdleReleaseMs ?? DEFAULT_EXECUTOR_IDLE_RELEASE_MS),
    });
  }

  /**
   * Opens the runtime's caches under `deps.dataDir`. The executor threads start with the first
   * container and end when the last one is removed.
   */
  static async create(deps: WasmRuntimeDeps): Promise<WasmRuntime> {
    const logger = deps.logger.child({ runtime: 'wasm' });
    const images = await ImageStore.open(
      join(deps.dataDir, 'images'),
      deps.fetchBlob,
      logger,
      deps.registry ? { registry: deps.registry } : {},
    );
    const transpiler = new TranspileCache(join(deps.dataDir, 'transpiled'), logger, {
      ...(deps.transpileTimeoutMs !== undefined ? { timeoutMs: deps.transpileTimeoutMs } : {}),
      ...(deps.transpileHeapMb !== undefined ? { heapMb: deps.transpileHeapMb } : {}),
    });
    await transpiler.clean();
    return new WasmRuntime(images, transpiler, logger, deps);
  }

  /** Counters for tests and benchmarks (see wasm-runtime-stats.ts). */
  get stats(): WasmRuntimeStats {
    return runtimeStats(this.#executors, this.#isolatedPods.size, this.#budget);
  }

  /**
   * Fetches, verifies (sha256) and caches a component: a hub reference from the hub by digest, an
   * OCI registry reference as a Wasm OCI artifact; a cached digest is not fetched again.
   */
  pullImage(ref: string, opts?: PullOptions): Promise<PulledImage> {
    return this.#images.pull(ref, opts);
  }

  /**
   * Transpiles (once per digest) and compiles the component, and reserves its first instances' memory;
   * throws CreateContainerError (WasmMemoryBudgetError when the node's Wasm memory budget is short).
   */
  async createContainer(config: ContainerConfig): Promise<void> {
    if (this.#closed) throw new ServiceUnavailableError('wasm runtime is closed');
    if (this.#containers.has(config.id)) throw new CreateContainerError(`container ${config.id} already exists`);
    const memoryLimitBytes = config.limits.memoryBytes ?? this.#defaultMemoryLimit;
    const { component, compiled, exportsHttp } = await prepareComponent(
      this.#transpiler,
      this.#images,
      config,
      memoryLimitBytes,
    );
    // An HTTP container keeps its pool's `min` instances; a command runs one.
    const { mounts, log, memory } = await takeContainerResources({
      config,
      memoryLimitBytes,
      memories: compiled.memories,
      baseInstances: exportsHttp ? this.#poolLimits.min : 1,
      mountUsage: this.#mountUsage,
      logRotation: this.#logRotation,
      budget: this.#budget,
      logger: this.#logger,
      exists: () => this.#containers.has(config.id),
    });
    this.#idle.containerAdded();
    this.#containers.set(
      config.id,
      new WasmContainer({
        config,
        component,
        compiled,
        log,
        memory,
        memoryLimitBytes,
        mounts,
        logger: this.#logger,
        executors: this.#executors,
        requestTimeoutMs: this.#requestTimeoutMs,
        pool: this.#poolLimits,
        ...(this.#outgoing ? { outgoing: this.#outgoing } : {}),
        isolated: () => this.#isolatedPods.has(config.pod.uid),
        onOffense: () => {
          if (this.#isolatedPods.has(config.pod.uid)) return;
          this.#isolatedPods.add(config.pod.uid);
          this.#logger.warn(
            { pod: `${config.pod.namespace}/${config.pod.name}`, container: config.id },
            'pod overran a deadline; isolated on executors of its own',
          );
        },
        onExited: (status) => this.#emit({ type: 'exited', status }),
      }),
    );
  }

  /** Instantiates on the shared executors (a command: on its own); resolves when running. */
  startContainer(id: string): Promise<void> {
    return this.#get(id).start();
  }

  stopContainer(id: string, gracePeriodMs: number): Promise<void> {
    const c = this.#containers.get(id);
    return c ? c.stop(gracePeriodMs) : Promise.resolve();
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.#containers.get(id);
    if (!c) return;
    this.#containers.delete(id);
    releaseMounts(c.mounts, this.#mountUsage);
    await c.remove();
    this.#idle.containerRemoved();
  }

  /** Live instances of a container (its pool size; 0 for a command or an unknown id). */
  instanceCount(id: string): number {
    return this.#containers.get(id)?.pool?.size ?? 0;
  }

  containerStatus(id: string): ContainerRuntimeStatus | undefined {
    return this.#containers.get(id)?.status;
  }

  /** Guest execution time measured by the executors, and linear memory plus instance overhead. */
  containerUsage(id: string): Promise<ContainerStats | undefined> {
    return Promise.resolve(this.#containers.get(id)?.usage());
  }

  /** Wasm containers are reached in-process: requests are posted to their executor. */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Runtime.endpoint's port: a component has one HTTP handler, every port reaches it
  endpoint(id: string, _port: number): WorkloadEndpoint {
    const c = this.#get(id);
    // A component exports one HTTP handler: every port of the container reaches it.
    return { kind: 'in-process', handle: (req) => c.handle(req) };
  }

  /**
   * A fresh instance of the container's component, its `wasi:cli/run` called with `command` as argv
   * and the container's env; output captured. TimeoutError past `timeoutMs`.
   */
  exec(id: string, command: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return this.#get(id).exec(command, opts.timeoutMs, opts.stdin, opts.signal);
  }

  /**
   * A fresh instance like {@link exec}'s, with its stdin fed as the client sends it (`stdin`) and its
   * output streamed as it is written (kubectl `exec`, see exec-stream.ts). No terminal: `tty` is refused.
   */
  execStream(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    try {
      return Promise.resolve(this.#get(id).execStream(command, EXEC_STREAM_TIMEOUT_MS, opts));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  listImages(): string[] {
    return this.#images.list();
  }

  /** The file of component `digest` when this node holds it whole, for its zone's peers (issue 20). */
  heldComponentPath(digest: string): Promise<string | undefined> {
    return this.#images.heldPath(digest);
  }

  /** Stops (without grace) and removes every container, then the executors. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#idle.stop();
    const all = [...this.#containers.keys()];
    await Promise.all(all.map((id) => this.removeContainer(id)));
    await this.#executors.close();
    this.#listeners.clear();
  }

  #get(id: string): WasmContainer {
    const c = this.#containers.get(id);
    if (!c) throw new NotFoundError('container', id);
    return c;
  }

  #emit(event: ContainerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        // A subscriber's bug must not break the runtime or other subscribers.
        this.#logger.error({ err: errorMessage(err) }, 'container event listener threw');
      }
    }
  }
}

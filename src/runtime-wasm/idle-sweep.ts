/**
 * The Wasm runtime's idle housekeeping: a periodic sweep that drops instances idle past
 * `instanceIdleMs` (keeping each pool's `min`), and the end of the executor threads and compiled
 * modules once no container has been left for the idle grace (`--wasm-idle-release`, issue 20).
 * Split from wasm-runtime.ts, which tells it when its last container goes and comes back.
 */
import { errorMessage, type Logger } from '../api/index.js';
import type { ExecutorPool } from './executors/executor-pool.js';
import type { TranspileCache } from './images/transpile-cache.js';
import type { WasmContainer } from './wasm-container.js';
import { sweepIntervalMs } from './wasm-runtime-options.js';

/** What the sweep looks at. */
export interface IdleSweepDeps {
  executors: ExecutorPool;
  transpiler: TranspileCache;
  logger: Logger;
  /** The runtime's containers, live. */
  containers: ReadonlyMap<string, WasmContainer>;
  closed(): boolean;
  instanceIdleMs: number;
  /** How long executors outlive the last container (0: they end with it). */
  idleReleaseMs: number;
}

/** The runtime's idle sweep; stop it with {@link IdleSweep.stop}. */
export class IdleSweep {
  readonly #deps: IdleSweepDeps;
  readonly #timer: NodeJS.Timeout;
  /** When the last container went (ms since the epoch), while there is none. */
  #emptySince: number | undefined;

  constructor(deps: IdleSweepDeps) {
    this.#deps = deps;
    this.#timer = setInterval(
      () => {
        const now = Date.now();
        for (const c of deps.containers.values()) c.pool?.sweep(now, deps.instanceIdleMs);
        // The idle grace's end, or a release refused at the last removal (an executor still busy).
        if (deps.containers.size === 0) this.#releaseExecutors();
      },
      sweepIntervalMs(deps.instanceIdleMs, deps.idleReleaseMs),
    );
    this.#timer.unref();
  }

  /** A container was created: the runtime is not empty any more. */
  containerAdded(): void {
    this.#emptySince = undefined;
  }

  /** A container was removed: when it was the last, the idle grace starts (or, with none, the release). */
  containerRemoved(): void {
    const { containers, executors, idleReleaseMs, logger } = this.#deps;
    if (containers.size > 0) return;
    this.#emptySince ??= Date.now();
    if (idleReleaseMs > 0 && executors.running)
      logger.debug({ keepMs: idleReleaseMs }, 'no wasm container left: executor threads kept warm');
    this.#releaseExecutors();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * The last container is gone: once the idle grace has passed with none, its executor threads end
   * and the compiled modules are dropped (the transpiled files stay on disk), so a node with no Wasm
   * pod holds none of it (issue 20). The grace keeps a scale from zero warm: a thread start and a
   * compile would otherwise add ~100-250 ms to every cold start (bench/hpa.ts, cold).
   */
  #releaseExecutors(): void {
    const { containers, executors, transpiler, logger, idleReleaseMs } = this.#deps;
    if (this.#deps.closed() || !executors.running) return;
    if (containers.size > 0) {
      this.#emptySince = undefined;
      return;
    }
    this.#emptySince ??= Date.now();
    if (Date.now() - this.#emptySince < idleReleaseMs) return;
    executors.release().then(
      (released) => {
        if (released) transpiler.dropCompiled();
      },
      (err: unknown) => logger.warn({ err: errorMessage(err) }, 'cannot end the idle executors'),
    );
  }
}

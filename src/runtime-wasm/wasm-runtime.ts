/**
 * `WasmRuntime`: the `Runtime` for `runtimeClassName: wasm`. Pulls components by digest, transpiles
 * them once (jco, cached on disk and compiled in memory), and runs each container's instance in an
 * executor worker thread.
 */
import { join } from 'node:path';
import { CreateContainerError, NotFoundError, ServiceUnavailableError, errorMessage } from '../api/index.js';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerRuntimeStatus,
  Logger,
  PullOptions,
  PulledImage,
  Runtime,
  WorkloadEndpoint,
} from '../api/index.js';
import { CriLogWriter } from './cri-log.js';
import { ImageStore, type FetchBlob } from './image-store.js';
import { TranspileCache, TranspileError } from './transpile-cache.js';
import { WasmContainer } from './wasm-container.js';

/** Dependencies of {@link WasmRuntime.create}. */
export interface WasmRuntimeDeps {
  /** Root of the runtime's on-disk state (`images/`, `transpiled/`). */
  dataDir: string;
  logger: Logger;
  /** Downloads a blob by digest (`sha256:<hex>`), e.g. from the hub's content store. */
  fetchBlob: FetchBlob;
  /** Default deadline of a request without `timeoutMs` (default 10 s). */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The Wasm component runtime. Create with {@link WasmRuntime.create}. */
export class WasmRuntime implements Runtime {
  readonly name = 'wasm';
  readonly #images: ImageStore;
  readonly #transpiler: TranspileCache;
  readonly #logger: Logger;
  readonly #requestTimeoutMs: number;
  readonly #containers = new Map<string, WasmContainer>();
  readonly #listeners = new Set<(event: ContainerEvent) => void>();
  #closed = false;

  private constructor(images: ImageStore, transpiler: TranspileCache, logger: Logger, requestTimeoutMs: number) {
    this.#images = images;
    this.#transpiler = transpiler;
    this.#logger = logger;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** Opens the runtime's caches under `deps.dataDir`. */
  static async create(deps: WasmRuntimeDeps): Promise<WasmRuntime> {
    const logger = deps.logger.child({ runtime: 'wasm' });
    const images = await ImageStore.open(join(deps.dataDir, 'images'), deps.fetchBlob, logger);
    const transpiler = new TranspileCache(join(deps.dataDir, 'transpiled'), logger);
    return new WasmRuntime(images, transpiler, logger, deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  /** Fetches, verifies (sha256) and caches a component; a cached digest is not fetched again. */
  pullImage(ref: string, opts?: PullOptions): Promise<PulledImage> {
    return this.#images.pull(ref, opts);
  }

  /** Transpiles (once per digest) and compiles the component; throws CreateContainerError. */
  async createContainer(config: ContainerConfig): Promise<void> {
    if (this.#closed) throw new ServiceUnavailableError('wasm runtime is closed');
    if (this.#containers.has(config.id)) throw new CreateContainerError(`container ${config.id} already exists`);
    let component;
    try {
      component = await this.#transpiler.get(config.image.digest, this.#images.pathOf(config.image.digest));
    } catch (err) {
      const what = err instanceof TranspileError ? 'not a valid Wasm component' : 'cannot prepare the component';
      throw new CreateContainerError(`cannot create container ${config.name} from ${config.image.ref}: ${what}: ${errorMessage(err)}`, err);
    }
    const exportsHttp = component.exports.some((e) => e.startsWith('wasi:http/incoming-handler'));
    const exportsRun = component.exports.some((e) => e.startsWith('wasi:cli/run'));
    if (!exportsHttp && !exportsRun) {
      throw new CreateContainerError(
        `cannot create container ${config.name}: ${config.image.ref} exports neither wasi:http/incoming-handler nor wasi:cli/run ` +
          `(exports: ${component.exports.join(', ') || 'none'})`,
      );
    }
    let log: CriLogWriter;
    try {
      log = await CriLogWriter.open(config.logPath);
    } catch (err) {
      throw new CreateContainerError(`cannot open log file ${config.logPath}: ${errorMessage(err)}`, err);
    }
    if (this.#containers.has(config.id)) {
      await log.close();
      throw new CreateContainerError(`container ${config.id} already exists`);
    }
    this.#containers.set(
      config.id,
      new WasmContainer({
        config,
        component,
        log,
        logger: this.#logger,
        requestTimeoutMs: this.#requestTimeoutMs,
        onExited: (status) => this.#emit({ type: 'exited', status }),
      }),
    );
  }

  /** Instantiates in a fresh executor worker; resolves when running. */
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
    await c.remove();
  }

  containerStatus(id: string): ContainerRuntimeStatus | undefined {
    return this.#containers.get(id)?.status;
  }

  /** Wasm containers are reached in-process: requests are posted to their executor. */
  endpoint(id: string, _port: number): WorkloadEndpoint {
    const c = this.#get(id);
    // A component exports one HTTP handler: every port of the container reaches it.
    return { kind: 'in-process', handle: (req) => c.handle(req) };
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  listImages(): string[] {
    return this.#images.list();
  }

  /** Stops (without grace) and removes every container. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#containers.keys()];
    await Promise.all(all.map((id) => this.removeContainer(id)));
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

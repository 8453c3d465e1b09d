/** Dependencies of the Wasm runtime (wasm-runtime.ts). */
import type { Logger, OutgoingHttpHandler } from '../api/index.js';
import type { CriLogRotation } from '../platform/index.js';
import type { RegistryClient } from '../distribution/index.js';
import type { FetchBlob } from './images/image-store.js';

/** Dependencies of {@link WasmRuntime.create}. */
export interface WasmRuntimeDeps {
  /** Root of the runtime's on-disk state (`images/`, `transpiled/`). */
  dataDir: string;
  logger: Logger;
  /** Downloads a blob by digest (`sha256:<hex>`), e.g. from the hub's content store. */
  fetchBlob: FetchBlob;
  /**
   * Pulls images given as OCI registry references (Wasm OCI artifacts) with the node's registry
   * credentials and insecure registries. Default: anonymous, plain HTTP for loopback registries only.
   */
  registry?: RegistryClient;
  /** Default deadline of a request without `timeoutMs` (default 10 s). */
  requestTimeoutMs?: number;
  /** Shared executor threads (default: one per core). */
  executors?: number;
  /** Instances a container keeps even when idle (default 1). */
  minInstances?: number;
  /** Instances a container may grow to under concurrent requests (default 8). */
  maxInstances?: number;
  /** An instance idle for this long is dropped, down to `minInstances` (default 30 s). */
  instanceIdleMs?: number;
  /** An instantiation still running after this is killed (a start function that loops; default 30 s). */
  instantiateTimeoutMs?: number;
  /**
   * A shared executor busy with one request this long is stalled (default 100 ms): the requests
   * queued behind it go to other executors and its thread's priority drops until it is done.
   */
  stallMs?: number;
  /**
   * Delivers the guests' outgoing HTTP requests (`wasi:http/outgoing-handler`, `fetch()`), with the
   * calling pod and container; absent: every outgoing request is denied (`HTTP-request-denied`).
   * `req.timeoutMs` is the smaller of the guest's request-options and what is left of the deadline
   * of the request it is serving (else `requestTimeoutMs`); the runtime answers the guest with
   * `connection-timeout` past it whatever the handler does. A request the handler makes to a Wasm
   * pod of this runtime (its `endpoint().handle()`, reached from the handler through promises and
   * awaits, not through a socket) is known as *nested*: served first and never held back, so guests
   * waiting for each other do not deadlock the executors.
   */
  outgoingHttp?: OutgoingHttpHandler;
  /**
   * Shared executors at most, counting the overflow ones started while all the others are blocked
   * in outgoing calls (default: 4 × `executors`).
   */
  maxExecutors?: number;
  /** An overflow executor with nothing to do this long is retired (default 10 s). */
  overflowIdleMs?: number;
  /**
   * How long the executor threads and compiled modules are kept once the last container is gone
   * (default 5 min: DEFAULT_EXECUTOR_IDLE_RELEASE_MS). A scale from zero within it finds them warm; 0
   * ends them with the last container, for the smallest devices.
   */
  executorIdleReleaseMs?: number;
  /**
   * Linear-memory limit of an instance of a container without `resources.limits.memory` (default
   * 128 MiB: DEFAULT_MEMORY_LIMIT_BYTES): no guest runs unbounded.
   */
  defaultMemoryLimitBytes?: number;
  /**
   * The node's budget for Wasm linear memory, over all instances of all containers (default: half
   * of physical memory or of the agent's cgroup limit: defaultMemoryBudgetBytes()). A
   * container whose first instances do not fit is refused (WasmMemoryBudgetError); a pool does not
   * grow past it (memory-budget.ts says why this accounting keeps the kernel's OOM killer away).
   */
  memoryBudgetBytes?: number;
  /** A component's transpile (jco, in a worker) is aborted past this (default 120 s: DEFAULT_TRANSPILE_TIMEOUT_MS). */
  transpileTimeoutMs?: number;
  /** Heap (V8 old generation, MiB) of the transpile worker (default 768: DEFAULT_TRANSPILE_HEAP_MB). */
  transpileHeapMb?: number;
  /** Rotation of the containers' log files (`--container-log-max-size`/`-max-files`); none when absent. */
  containerLogs?: CriLogRotation;
}

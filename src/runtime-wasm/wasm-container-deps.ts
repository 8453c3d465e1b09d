/** What a `WasmContainer` (wasm-container.ts) is built with. */
import type { ContainerConfig, ContainerRuntimeStatus, Logger } from '../api/index.js';
import type { CriLogWriter } from '../platform/index.js';
import type { ExecutorPool } from './executors/executor-pool.js';
import type { MountGrant } from './host/fs-paths.js';
import type { CompiledModules, TranspiledComponent } from './images/transpile-cache.js';
import type { PoolMemory } from './memory/pool-memory.js';
import type { OutgoingDispatch } from './outgoing/outgoing-dispatch.js';

/** Sizing of a container's instance pool. */
export interface PoolLimits {
  min: number;
  max: number;
  instantiateTimeoutMs: number;
}

/** Dependencies of `WasmContainer` (wasm-container.ts). */
export interface WasmContainerDeps {
  config: ContainerConfig;
  component: TranspiledComponent;
  compiled: CompiledModules;
  log: CriLogWriter;
  /** Its share of the node's Wasm memory budget (first instances reserved; given back when it ends). */
  memory: PoolMemory;
  /** Every instance's linear-memory limit: the container's own, else the node's default. */
  memoryLimitBytes: number;
  /** The container's mounts, checked (its instances' preopens). */
  mounts: MountGrant[];
  logger: Logger;
  executors: ExecutorPool;
  requestTimeoutMs: number;
  pool: PoolLimits;
  /** The runtime's outgoing HTTP (absent: the guest's calls are denied). */
  outgoing?: OutgoingDispatch;
  /** Whether the pod was isolated after an earlier overrun (its instances get their own executor). */
  isolated(): boolean;
  /** This container overran a deadline: isolate its pod from now on. */
  onOffense(): void;
  /** Called once when the container ends without being asked to (exit, trap, deadline, crash). */
  onExited(status: ContainerRuntimeStatus): void;
}

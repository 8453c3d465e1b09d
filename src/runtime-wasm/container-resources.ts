/**
 * What a Wasm container holds besides its component, taken in `createContainer` and given back on a
 * failure part-way: its mounts' grants, its CRI log file, and its first instances' share of the node's
 * Wasm memory budget (taken last, with no await after it, so a failed create never leaks a reservation).
 */
import { CreateContainerError, errorMessage } from '../api/index.js';
import type { ContainerConfig, Logger } from '../api/index.js';
import { type CriLogRotation, CriLogWriter } from '../platform/index.js';
import { type MountUsage, prepareMounts, releaseMounts } from './container-mounts.js';
import type { MountGrant } from './host/fs-paths.js';
import type { MemoryBudget } from './memory/memory-budget.js';
import { PoolMemory } from './memory/pool-memory.js';

/** What the resources are taken for and from. */
export interface ContainerResourceArgs {
  config: ContainerConfig;
  /** The linear memory limit of each instance, and how many memories the modules define. */
  memoryLimitBytes: number;
  memories: number;
  /** Instances reserved at once: an HTTP container's pool `min`, a command's 1. */
  baseInstances: number;
  mountUsage: MountUsage;
  logRotation: CriLogRotation | undefined;
  budget: MemoryBudget;
  logger: Logger;
  /** Whether a container of this id was created meanwhile (checked after the awaits). */
  exists(): boolean;
}

/** A container's mounts, log and reserved memory. */
export interface ContainerResources {
  mounts: MountGrant[];
  log: CriLogWriter;
  memory: PoolMemory;
}

/** Takes the resources, or gives back what it took and throws (CreateContainerError, WasmMemoryBudgetError). */
export async function takeContainerResources(a: ContainerResourceArgs): Promise<ContainerResources> {
  const { config } = a;
  const mounts: MountGrant[] = await prepareMounts(config.mounts, a.mountUsage);
  let log: CriLogWriter;
  try {
    log = await CriLogWriter.open(config.logPath, a.logRotation);
  } catch (err) {
    releaseMounts(mounts, a.mountUsage);
    throw new CreateContainerError(`cannot open log file ${config.logPath}: ${errorMessage(err)}`, err);
  }
  let memory: PoolMemory;
  try {
    if (a.exists()) throw new CreateContainerError(`container ${config.id} already exists`);
    memory = PoolMemory.reserve(
      a.budget,
      config.name,
      a.memoryLimitBytes * Math.max(1, a.memories),
      a.baseInstances,
      a.logger.child({ container: config.id }),
    );
  } catch (err) {
    releaseMounts(mounts, a.mountUsage);
    await log.close();
    throw err;
  }
  return { mounts, log, memory };
}

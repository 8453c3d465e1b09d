/**
 * What one Wasm container has used, on the main thread: the guest execution time of every instance
 * it ever had (cumulative, reported by the executors with each batch of results — see
 * worker/guest-clock.ts) and the linear memory of its live instances as last reported, plus
 * {@link INSTANCE_OVERHEAD_BYTES} for each of them. The fresh instances that `exec` (and exec probes)
 * run are not counted: they are brief and run on executors of their own.
 */
import type { ContainerStats } from '../../api/index.js';

/**
 * Memory an instance holds besides its linear memory: jco's bindings and the host's state for it
 * (resource tables, buffers), its Wasm tables, globals and stack. An estimate (the workers' V8 heap
 * is shared by every instance on them and cannot be told apart per instance), documented so the
 * figure `top` shows is understood: linear memory plus this much per instance.
 */
export const INSTANCE_OVERHEAD_BYTES = 512 * 1024;

/** One container's usage (see the file comment). */
export class GuestUsage {
  #cpuNs = 0;
  readonly #memory = new Map<number, number>();

  /** An executor reported `cpuNs` more of instance `instanceId`, whose memory is `memoryBytes` now. */
  add(instanceId: number, cpuNs: number, memoryBytes: number): void {
    if (cpuNs > 0) this.#cpuNs += cpuNs;
    this.#memory.set(instanceId, memoryBytes);
  }

  /** The usage now, over the instances in `live` (others are forgotten: they are gone). */
  stats(live: ReadonlySet<number>): ContainerStats {
    let memory = 0;
    for (const id of this.#memory.keys()) if (!live.has(id)) this.#memory.delete(id);
    for (const id of live) memory += (this.#memory.get(id) ?? 0) + INSTANCE_OVERHEAD_BYTES;
    return { cpuUsageNanoSeconds: this.#cpuNs, memoryWorkingSetBytes: memory };
  }
}

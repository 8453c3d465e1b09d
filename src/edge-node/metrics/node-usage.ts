/**
 * The node's own usage, as `usage` frames and `top nodes` report it. "Node" means the whole device,
 * as the kubelet's root cgroup does: CPU is the time every core spent outside idle and I/O wait
 * (`os.cpus()`, which Linux reads from `/proc/stat`), memory is what is in use and cannot be handed
 * out at once (`os.totalmem() - os.freemem()`; Linux: `MemTotal - MemAvailable`). So the figures
 * include the agent, every workload (Wasm in the agent's threads, containers in their cgroups) and
 * anything else the device runs. An agent run inside a container with its own limits sees its host.
 */
import { cpus, freemem, totalmem } from 'node:os';

/** Busy CPU time of the whole device so far, in nanoseconds. */
export function nodeCpuNanoSeconds(): number {
  let ms = 0;
  // `times` are in milliseconds per core since boot; idle does not count (I/O wait is not reported apart).
  for (const c of cpus()) ms += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return ms * 1e6;
}

/** Memory of the device in use now, in bytes. */
export function nodeMemoryBytes(): number {
  return Math.max(0, totalmem() - freemem());
}

/**
 * A container's usage from the Engine API (dockerd, `podman system service`):
 * `GET /containers/{id}/stats?stream=false&one-shot=true`, read with the kubelet's formula — CPU time
 * so far (`cpu_stats.cpu_usage.total_usage`, ns) and the working set, memory in use minus the
 * inactive file cache (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
 */
import { z } from 'zod';
import type { ContainerStats } from '../../api/index.js';

const Count = z.number().nonnegative().finite();

/** The part of the stats document read here (the daemon sends much more). */
export const EngineStatsDoc = z.object({
  cpu_stats: z.object({ cpu_usage: z.object({ total_usage: Count }) }),
  memory_stats: z.object({
    usage: Count.optional(),
    stats: z.record(z.string(), z.number()).optional(),
  }),
});

/** The usage in an Engine API stats document; undefined when it has none (a stopped container's is empty). */
export function engineStats(doc: unknown): ContainerStats | undefined {
  const parsed = EngineStatsDoc.safeParse(doc);
  const usage = parsed.success ? parsed.data.memory_stats.usage : undefined;
  if (!parsed.success || usage === undefined) return undefined;
  const { cpu_stats, memory_stats } = parsed.data;
  const inactive = memory_stats.stats?.inactive_file ?? memory_stats.stats?.total_inactive_file ?? 0;
  return {
    cpuUsageNanoSeconds: cpu_stats.cpu_usage.total_usage,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
  };
}

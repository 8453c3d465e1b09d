/**
 * A container's usage from its cgroup, as the kubelet reads it: CPU time used so far, and the working
 * set — memory in use minus the inactive file cache, which the kernel can take back at once.
 * cgroup v2 (one unified tree, as on Raspberry Pi OS): `cpu.stat` `usage_usec`, `memory.current`
 * and `memory.stat` `inactive_file`. cgroup v1 (a hierarchy per controller): `cpuacct.usage` (ns),
 * `memory.usage_in_bytes` and `memory.stat` `total_inactive_file`.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerStats } from '../../api/index.js';

const ROOT = '/sys/fs/cgroup';

/** The value of `key` in a flat-keyed cgroup file (`key value` per line). */
function field(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key} ([0-9]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

async function read(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function stats(
  cpuNs: number | undefined,
  usage: number | undefined,
  inactive: number | undefined,
): ContainerStats | undefined {
  if (cpuNs === undefined || usage === undefined || !Number.isFinite(cpuNs) || !Number.isFinite(usage))
    return undefined;
  return { cpuUsageNanoSeconds: cpuNs, memoryWorkingSetBytes: Math.max(0, usage - (inactive ?? 0)) };
}

/**
 * The usage of the cgroup at `cgroupsPath` (as runc's `cgroupsPath`), or undefined when it does not
 * exist (the container is gone) or cannot be read. `root` is the cgroup mount (tests).
 */
export async function readCgroupStats(cgroupsPath: string, root = ROOT): Promise<ContainerStats | undefined> {
  const unified = await access(join(root, 'cgroup.controllers')).then(
    () => true,
    () => false,
  );
  if (unified) {
    const dir = join(root, cgroupsPath);
    const [cpu, current, memStat] = await Promise.all([
      read(join(dir, 'cpu.stat')),
      read(join(dir, 'memory.current')),
      read(join(dir, 'memory.stat')),
    ]);
    const usec = cpu === undefined ? undefined : field(cpu, 'usage_usec');
    return stats(
      usec === undefined ? undefined : usec * 1000,
      num(current),
      memStat === undefined ? undefined : field(memStat, 'inactive_file'),
    );
  }
  const [cpu, usage, memStat] = await Promise.all([
    read(join(root, 'cpuacct', cgroupsPath, 'cpuacct.usage')),
    read(join(root, 'memory', cgroupsPath, 'memory.usage_in_bytes')),
    read(join(root, 'memory', cgroupsPath, 'memory.stat')),
  ]);
  return stats(num(cpu), num(usage), memStat === undefined ? undefined : field(memStat, 'total_inactive_file'));
}

function num(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t && /^[0-9]+$/.test(t) ? Number(t) : undefined;
}

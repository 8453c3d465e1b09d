/**
 * What the runc adapter reads and cleans in a container's cgroup, on cgroup v1 (one directory per
 * controller hierarchy, as on this machine kind) and v2 (one unified tree, as on Raspberry Pi OS):
 * whether the kernel OOM-killed something in it, and the directories left once runc has deleted it.
 */
import { access, readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

async function isUnified(): Promise<boolean> {
  try {
    await access(join(ROOT, 'cgroup.controllers'));
    return true;
  } catch {
    return false;
  }
}

/** Every directory `cgroupsPath` would have (one per v1 hierarchy, or one on v2). */
export async function cgroupDirs(cgroupsPath: string): Promise<string[]> {
  if (await isUnified()) return [join(ROOT, cgroupsPath)];
  let hierarchies: string[];
  try {
    hierarchies = await readdir(ROOT);
  } catch {
    return [];
  }
  return hierarchies.map((h) => join(ROOT, h, cgroupsPath));
}

/** True when the kernel OOM-killed a process of the cgroup (read while the cgroup still exists). */
export async function oomKilled(cgroupsPath: string): Promise<boolean> {
  const file = (await isUnified())
    ? join(ROOT, cgroupsPath, 'memory.events')
    : join(ROOT, 'memory', cgroupsPath, 'memory.oom_control');
  try {
    const m = /^oom_kill ([0-9]+)$/m.exec(await readFile(file, 'utf8'));
    return m !== null && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

/** The cgroup directories of `cgroupsPath` that still exist. */
export async function existingCgroupDirs(cgroupsPath: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of await cgroupDirs(cgroupsPath)) {
    try {
      await access(dir);
      out.push(dir);
    } catch {
      // absent: as it should be
    }
  }
  return out;
}

/** Removes what is left of the cgroup (empty directories only: a cgroup with processes stays). */
export async function removeCgroupDirs(cgroupsPath: string): Promise<void> {
  for (const dir of await existingCgroupDirs(cgroupsPath)) await rmdir(dir).catch(() => undefined);
}

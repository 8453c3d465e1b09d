/** The memory cgroup the small-device run's agent is started in (cgroup v2 or v1, whichever has the controller). */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A child memory cgroup of this process's own (v2 when the unified tree has the controller, else v1). */
export function memoryCgroup(
  name: string,
  limitBytes: number,
): { dir: string; peak(): number; events(): string; remove(): void } {
  const unified = '/sys/fs/cgroup';
  const v2 =
    existsSync(join(unified, 'cgroup.controllers')) &&
    readFileSync(join(unified, 'cgroup.controllers'), 'utf8').includes('memory');
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  if (v2) {
    const path = own.find((l) => l.startsWith('0::'))!.slice(3);
    const dir = join(unified, path, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    writeFileSync(join(dir, 'memory.swap.max'), '0');
    return {
      dir,
      peak: () => (existsSync(join(dir, 'memory.peak')) ? Number(readFileSync(join(dir, 'memory.peak'), 'utf8')) : NaN),
      events: () => readFileSync(join(dir, 'memory.events'), 'utf8').replace(/\n/g, ' ').trim(),
      remove: () => removeCgroup(dir),
    };
  }
  const path = own.find((l) => /^\d+:memory:/.test(l))!.replace(/^\d+:memory:/, '');
  const dir = join(unified, 'memory', path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  return {
    dir,
    peak: () => Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    events: () =>
      `failcnt ${readFileSync(join(dir, 'memory.failcnt'), 'utf8').trim()}, ` +
      readFileSync(join(dir, 'memory.oom_control'), 'utf8').replace(/\n/g, ' ').trim(),
    remove: () => removeCgroup(dir),
  };
}

/** Removes a cgroup directory (rmdir: its files cannot be unlinked); one still busy is left, with a note. */
function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    console.log(`  cgroup ${dir} left in place: ${String(err)}`);
  }
}

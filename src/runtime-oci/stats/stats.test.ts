/**
 * Reading a container's usage: from cgroup files laid out as v1 and v2 mount them, from a real
 * kernel cgroup holding a busy process (where this machine lets the test make one), and from an
 * Engine API stats document.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCgroupStats } from './cgroup-stats.js';
import { engineStats } from './engine-stats.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function files(layout: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(layout)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('readCgroupStats', () => {
  it('reads cgroup v2: usage_usec, memory.current minus inactive_file', async () => {
    const root = await files({
      'cgroup.controllers': 'cpu memory pids\n',
      'edgeplane/c1/cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n',
      'edgeplane/c1/memory.current': '10485760\n',
      'edgeplane/c1/memory.stat': 'anon 6291456\nfile 4194304\nactive_file 1048576\ninactive_file 3145728\n',
    });
    expect(await readCgroupStats('/edgeplane/c1', root)).toEqual({
      cpuUsageNanoSeconds: 2_500_000_000,
      memoryWorkingSetBytes: 10485760 - 3145728,
    });
    expect(await readCgroupStats('/edgeplane/gone', root)).toBeUndefined();
  });

  it('reads cgroup v1: cpuacct.usage, memory.usage_in_bytes minus total_inactive_file', async () => {
    const root = await files({
      'cpuacct/edgeplane/c1/cpuacct.usage': '123456789\n',
      'memory/edgeplane/c1/memory.usage_in_bytes': '8388608\n',
      'memory/edgeplane/c1/memory.stat': 'cache 4096\ninactive_file 100\ntotal_inactive_file 1048576\n',
    });
    expect(await readCgroupStats('/edgeplane/c1', root)).toEqual({
      cpuUsageNanoSeconds: 123456789,
      memoryWorkingSetBytes: 8388608 - 1048576,
    });
  });

  // A real cgroup needs a writable cgroup mount (root on a host or a privileged container).
  const canMake = (() => {
    const probe = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/cpuacct';
    return process.getuid?.() === 0 && existsSync(probe);
  })();

  it.skipIf(!canMake)('reads a real cgroup whose process burns CPU', async () => {
    const path = `/edgeplane-stats-test-${process.pid}`;
    const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const made = unified
      ? [join('/sys/fs/cgroup', path)]
      : [join('/sys/fs/cgroup/cpuacct', path), join('/sys/fs/cgroup/memory', path)];
    for (const d of made) await mkdir(d);
    // It allocates once it is in the cgroup (v1 leaves earlier pages charged where they were).
    const burn = "process.stdin.once('data', () => { const b = Buffer.alloc(32 << 20, 1); for (;;) b[0]++; });";
    const child = spawn(process.execPath, ['-e', burn], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      for (const d of made) await writeFile(join(d, 'cgroup.procs'), String(child.pid));
      child.stdin.write('go\n');
      let s = await readCgroupStats(path);
      const until = Date.now() + 10_000;
      const done = (): boolean => (s?.cpuUsageNanoSeconds ?? 0) >= 200e6 && (s?.memoryWorkingSetBytes ?? 0) > 32 << 20;
      while (!done() && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        s = await readCgroupStats(path);
      }
      expect(s!.cpuUsageNanoSeconds).toBeGreaterThanOrEqual(200e6);
      expect(s!.memoryWorkingSetBytes).toBeGreaterThan(32 << 20);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      for (const d of made) {
        for (let i = 0; i < 50; i++) {
          try {
            await rmdir(d);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 20)); // the killed process leaves the cgroup shortly after
          }
        }
      }
    }
  });
});

describe('engineStats', () => {
  it('takes total_usage and the working set (cgroup v2 and v1 documents)', () => {
    const v2 = {
      read: '2026-12-02T15:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 5_000_000, usage_in_kernelmode: 1 }, online_cpus: 2 },
      memory_stats: { usage: 20_000_000, limit: 1e9, stats: { inactive_file: 4_000_000, anon: 1 } },
    };
    expect(engineStats(v2)).toEqual({ cpuUsageNanoSeconds: 5_000_000, memoryWorkingSetBytes: 16_000_000 });
    const v1 = { ...v2, memory_stats: { usage: 9_000_000, stats: { total_inactive_file: 1_000_000 } } };
    expect(engineStats(v1)).toEqual({ cpuUsageNanoSeconds: 5_000_000, memoryWorkingSetBytes: 8_000_000 });
  });

  it('has nothing for a stopped container’s empty document or a malformed one', () => {
    expect(engineStats({ cpu_stats: { cpu_usage: { total_usage: 0 } }, memory_stats: {} })).toBeUndefined();
    expect(engineStats({ cpu_stats: {} })).toBeUndefined();
    expect(engineStats('nope')).toBeUndefined();
  });
});

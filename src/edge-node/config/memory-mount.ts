/**
 * A sized tmpfs for an emptyDir with `medium: Memory` and a `sizeLimit`, as the kubelet mounts one
 * (`mount -t tmpfs -o size=<sizeLimit>`): the kernel refuses a write past the limit (ENOSPC), in every
 * container of the pod that mounts the volume (runc and the Engine API daemons bind-mount the node's
 * directory) and for the Wasm runtime alike, and its content outlives a container restart as an
 * emptyDir's must. Mounting needs CAP_SYS_ADMIN: an agent without it keeps a plain directory on its
 * tmpfs run dir, bounded by the periodic usage check (and, for Wasm, by the runtime on each write).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points at or under `dir` (from `/proc/self/mountinfo`; its octal escapes decoded), deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return info
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(root + path.sep))
    .sort((a, b) => b.length - a.length);
}

/**
 * Mounts a tmpfs of `sizeBytes` on `dir` (nosuid, nodev, mode 0777), unless one is already there (an
 * agent restart keeps it). Undefined when mounted; else why not (the caller falls back).
 */
export async function mountSizedTmpfs(dir: string, sizeBytes: number): Promise<string | undefined> {
  if ((await mountsUnder(dir)).includes(path.resolve(dir))) return undefined;
  // The kernel rounds size up to whole pages; at least one page.
  const size = Math.max(4096, Math.ceil(sizeBytes));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0777,nosuid,nodev`, 'tmpfs', dir], {
      timeout: 10_000,
    });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return `cannot mount a sized tmpfs on ${dir}: ${(e.stderr ?? '').trim() || e.message}`;
  }
}

/** Unmounts every mount at or under `dir`, deepest first (lazily when busy), before the tree goes. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const p of await mountsUnder(dir)) {
    await run('umount', [p], { timeout: 10_000 }).catch(() =>
      run('umount', ['-l', p], { timeout: 10_000 }).catch(() => undefined),
    );
  }
}

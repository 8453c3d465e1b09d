/** Disk use of a directory tree, for emptyDir `sizeLimit` (the kubelet's `du` of the volume). */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Entries walked at most: a volume with more counts as over any limit (a walk must stay bounded). */
const MAX_ENTRIES = 100_000;

/**
 * Bytes allocated under `dir` (blocks, as `du` counts; symlinks not followed). Stops early once the
 * count passes `stopAbove`. 0 when `dir` does not exist.
 */
export async function directoryBytes(dir: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const st = await lstat(current).catch(() => undefined);
    if (!st) continue;
    total += Math.max(st.size, st.blocks * 512) * (st.isDirectory() ? 0 : 1);
    if (total > stopAbove) return total;
    if (++seen > MAX_ENTRIES) return Number.POSITIVE_INFINITY;
    if (st.isDirectory())
      for (const name of await readdir(current).catch(() => [] as string[])) stack.push(path.join(current, name));
  }
  return total;
}

/** Disk use of a directory tree, for emptyDir `sizeLimit` (the kubelet's `du` of the volume). */
import { walkTree } from './tree-walk.js';

/** Entries walked at most: a volume with more counts as over any limit (a walk must stay bounded). */
const MAX_ENTRIES = 100_000;

/**
 * Bytes allocated under `dir` (blocks, as `du` counts; symlinks not followed). Stops early once the
 * count passes `stopAbove`. 0 when `dir` does not exist.
 */
export async function directoryBytes(dir: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  let seen = 0;
  for await (const { stat } of walkTree(dir, 'skip')) {
    total += stat.isDirectory() ? 0 : Math.max(stat.size, stat.blocks * 512);
    if (total > stopAbove) return total;
    if (++seen > MAX_ENTRIES) return Number.POSITIVE_INFINITY;
  }
  return total;
}

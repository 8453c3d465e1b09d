/**
 * The size limit of a writable mount (an emptyDir's `sizeLimit`), enforced on every write (worker
 * side). Instances of a pod run on several executor threads and share the mount, so the bytes held
 * under it are one counter in shared memory (`MountGrant.usage`, a `BigInt64Array` on a
 * SharedArrayBuffer made when the container was created), changed with atomics: a write that grows a
 * file reserves the growth first and fails with `insufficient-space` when the limit would be passed,
 * so the limit is never exceeded. The counter counts apparent file sizes; it can only over-count
 * (two writers reserving the same region), so when a reservation fails the mount is measured again
 * (a bounded walk) before the write is refused.
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { MountGrant } from './fs-paths.js';

/** Entries a measurement visits at most (a mount with more is counted as full). */
const MAX_MEASURED_ENTRIES = 200_000;

/** Apparent bytes of the regular files under `dir` (symlinks not followed); Infinity past the cap. */
export function measureTree(dir: string): number {
  let total = 0;
  let seen = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > MAX_MEASURED_ENTRIES) return Number.POSITIVE_INFINITY;
      const p = `${d}/${name}`;
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) pending.push(p);
        else if (st.isFile()) total += st.size;
      } catch {
        // Removed while we walked: it holds nothing any more.
      }
    }
  }
  return total;
}

function tryReserve(usage: BigInt64Array, limit: bigint, n: bigint): boolean {
  for (;;) {
    const cur = Atomics.load(usage, 0);
    if (cur + n > limit) return false;
    if (Atomics.compareExchange(usage, 0, cur, cur + n) === cur) return true;
  }
}

/** Counts `n` more bytes under the mount; false (nothing counted) when past its limit. */
export function reserveSpace(mount: MountGrant, n: number): boolean {
  const { usage, sizeLimitBytes } = mount;
  if (n <= 0 || usage === undefined || sizeLimitBytes === undefined) return true;
  const limit = BigInt(sizeLimitBytes);
  const want = BigInt(n);
  if (tryReserve(usage, limit, want)) return true;
  const measured = measureTree(mount.hostPath);
  Atomics.store(usage, 0, Number.isFinite(measured) ? BigInt(measured) : limit);
  return tryReserve(usage, limit, want);
}

/** `n` bytes under the mount were freed (a file shrank or was removed). */
export function releaseSpace(mount: MountGrant, n: number): void {
  const { usage } = mount;
  if (n <= 0 || usage === undefined) return;
  const want = BigInt(n);
  for (;;) {
    const cur = Atomics.load(usage, 0);
    const next = cur > want ? cur - want : 0n;
    if (Atomics.compareExchange(usage, 0, cur, next) === cur) return;
  }
}

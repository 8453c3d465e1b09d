/**
 * `securityContext.fsGroup` on a pod's volumes, as the kubelet's `SetVolumeOwnership` does it: every
 * file and directory of the volume is group-owned by the fsGroup and gets group read (and write, for a
 * writable volume) permission; directories also get group search and the setgid bit, so what a
 * container creates in an emptyDir later belongs to the fsGroup too. Symlinks (a projection's `..data`
 * and key links) change owner only. `fsGroupChangePolicy: OnRootMismatch` skips the walk when the
 * volume's root already has the group and the bits.
 */
import { chmod, chown, lchown, lstat } from 'node:fs/promises';
import { walkTree } from './tree-walk.js';

/** Entries changed at most per volume: a walk that input can grow must stay bounded. */
const MAX_ENTRIES = 100_000;
const SETGID = 0o2000;

/** How a volume's ownership is set. */
export interface Ownership {
  fsGroup: number;
  /** configMap and secret volumes: group read only (the kubelet's 0440 mask); emptyDir: read and write (0660). */
  readOnly: boolean;
  /** `fsGroupChangePolicy` (default `Always`). */
  policy?: 'Always' | 'OnRootMismatch' | undefined;
}

/** The mode bits a path of the volume must have at least. */
function mask(o: Ownership, isDir: boolean): number {
  const rw = o.readOnly ? 0o440 : 0o660;
  return isDir ? rw | 0o110 | SETGID : rw;
}

/** True when the volume's root already has the group and the bits (`OnRootMismatch` then does nothing). */
async function rootMatches(dir: string, o: Ownership): Promise<boolean> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return false;
  const want = mask(o, st.isDirectory());
  return st.gid === o.fsGroup && (st.mode & want) === want;
}

/** Gives `dir` (a volume's root) and everything under it to `o.fsGroup`, as described above. */
export async function setVolumeOwnership(dir: string, o: Ownership): Promise<void> {
  if (o.policy === 'OnRootMismatch' && (await rootMatches(dir, o))) return;
  let seen = 0;
  for await (const { path: entry, stat: st } of walkTree(dir, 'throw')) {
    if (++seen > MAX_ENTRIES)
      throw new Error(`volume ${dir} holds more than ${MAX_ENTRIES} entries: fsGroup not applied`);
    if (st.isSymbolicLink()) {
      await lchown(entry, st.uid, o.fsGroup);
      continue;
    }
    // uid -1: the owner stays; only the group changes.
    await chown(entry, -1, o.fsGroup);
    const want = mask(o, st.isDirectory());
    if ((st.mode & want) !== want) await chmod(entry, (st.mode & 0o7777) | want);
  }
}

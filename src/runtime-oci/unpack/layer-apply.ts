/**
 * Applies one layer (an uncompressed tar stream) into its own snapshot directory, in the form
 * overlayfs stacks: files, directories, symlinks, hard links and devices with their owners, modes
 * (setuid/setgid/sticky included) and times; an OCI whiteout (`.wh.<name>`) becomes an overlay
 * whiteout (a 0/0 character device) when `<name>` exists beneath; an opaque directory
 * (`.wh..wh..opq`) becomes a whiteout for every name beneath it that the layer does not recreate —
 * so no extended attributes are needed. Nothing in a layer can write outside its directory: paths
 * are resolved from its root (`..` stops there) and no path is followed through a symlink.
 */
import { constants, type Stats } from 'node:fs';
import { chmod, chown, copyFile, link, lchown, lstat, lutimes, mkdir, open, readdir, realpath, rm, symlink, utimes } from 'node:fs/promises';
import { posix } from 'node:path';
import { runCommand } from '../command.js';
import { readTar, type TarEntry, type TarSink } from './tar-reader.js';

/** A layer that cannot be applied (bad paths, an entry escaping the root). */
export class LayerError extends Error {}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const isRoot = process.getuid?.() === 0;

/** Where to apply and what lies beneath (snapshot directories, top-most first). */
export interface ApplyTarget {
  root: string;
  lowers: readonly string[];
}

/** Counts of what was applied (for logs and tests). */
export interface ApplyStats {
  entries: number;
  whiteouts: number;
}

/** Applies the tar stream `source` into `target.root` (which must exist and be empty). */
export async function applyLayer(source: AsyncIterable<Uint8Array>, target: ApplyTarget): Promise<ApplyStats> {
  const { root } = target;
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let entries = 0;
  await readTar(source, async (entry): Promise<TarSink | undefined> => {
    const rel = cleanPath(entry.path);
    if (rel === '') return undefined; // the layer's root directory itself
    const base = posix.basename(rel);
    const dir = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    if (base === OPAQUE) {
      opaque.push(dir);
      return undefined;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      whiteouts.push(posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
      return undefined;
    }
    entries += 1;
    await ensureDir(root, dir);
    return createEntry(root, rel, entry, target.lowers);
  });
  let whiteoutCount = 0;
  for (const dir of opaque) {
    await ensureDir(root, dir);
    const mine = new Set(await readdir(hostPath(root, dir)));
    for (const name of await namesBeneath(target.lowers, dir)) {
      if (mine.has(name)) continue;
      await makeWhiteout(hostPath(root, posix.join(dir, name)));
      whiteoutCount += 1;
    }
  }
  for (const rel of whiteouts) {
    if ((await lstatOrUndefined(hostPath(root, rel))) !== undefined) continue; // recreated by this layer
    if (!(await visibleBeneath(target.lowers, rel))) continue;
    await ensureDir(root, posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
    await makeWhiteout(hostPath(root, rel));
    whiteoutCount += 1;
  }
  return { entries, whiteouts: whiteoutCount };
}

/** `./a//b/` → `a/b`; resolved from the root, so `..` cannot climb above it (as containerd does). */
export function cleanPath(p: string): string {
  const normalized = posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
}

function hostPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/** Creates the missing directories of `rel` (0755, root-owned), refusing to pass through anything but directories. */
async function ensureDir(root: string, rel: string): Promise<void> {
  let cur = root;
  for (const part of rel === '' ? [] : rel.split('/')) {
    cur = `${cur}/${part}`;
    const st = await lstatOrUndefined(cur);
    if (!st) await mkdir(cur, { mode: 0o755 });
    else if (!st.isDirectory()) throw new LayerError(`layer entry under "${rel}" passes through a ${st.isSymbolicLink() ? 'symlink' : 'non-directory'}`);
  }
}

async function setOwnerModeTime(p: string, e: TarEntry): Promise<void> {
  if (isRoot) await chown(p, e.uid, e.gid);
  // After chown: changing the owner clears setuid/setgid bits.
  await chmod(p, e.mode & 0o7777);
  await utimes(p, e.mtime, e.mtime);
}

async function createEntry(root: string, rel: string, e: TarEntry, lowers: readonly string[]): Promise<TarSink | undefined> {
  const dest = hostPath(root, rel);
  const existing = await lstatOrUndefined(dest);
  if (existing && !(existing.isDirectory() && e.type === 'dir')) await rm(dest, { recursive: true, force: true });
  switch (e.type) {
    case 'dir':
      if (!existing?.isDirectory()) await mkdir(dest, { mode: 0o755 });
      await setOwnerModeTime(dest, e);
      return undefined;
    case 'file': {
      // O_EXCL|O_NOFOLLOW: never write through a link planted under the same name.
      const fh = await open(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      return {
        write: async (chunk) => {
          await fh.write(chunk);
        },
        end: async () => {
          await fh.close();
          await setOwnerModeTime(dest, e);
        },
      };
    }
    case 'symlink':
      await symlink(e.linkname, dest);
      if (isRoot) await lchown(dest, e.uid, e.gid);
      await lutimes(dest, e.mtime, e.mtime);
      return undefined;
    case 'hardlink': {
      const targetRel = cleanPath(e.linkname);
      const inLayer = hostPath(root, targetRel);
      const st = await lstatOrUndefined(inLayer);
      if (st && !st.isDirectory()) {
        await link(inLayer, dest);
        return undefined;
      }
      // A link to a file of a lower layer: a copy (snapshots never share inodes across layers).
      for (const lower of lowers) {
        const candidate = hostPath(lower, targetRel);
        const lst = await lstatOrUndefined(candidate);
        // Through a symlinked directory of the layer, the "file" could be one of the node's.
        if (lst?.isFile() && !(await realpath(candidate)).startsWith(`${await realpath(lower)}/`)) break;
        if (lst?.isFile()) {
          await copyFile(candidate, dest);
          if (isRoot) await chown(dest, lst.uid, lst.gid);
          await chmod(dest, lst.mode & 0o7777);
          return undefined;
        }
        if (lst) break;
      }
      throw new LayerError(`hard link "${rel}" points to "${e.linkname}", which is not a file of this image`);
    }
    case 'char':
    case 'block':
      await runCommand('mknod', ['-m', (e.mode & 0o7777).toString(8), dest, e.type === 'char' ? 'c' : 'b', String(e.devmajor), String(e.devminor)]);
      if (isRoot) await chown(dest, e.uid, e.gid);
      return undefined;
    case 'fifo':
      await runCommand('mkfifo', ['-m', (e.mode & 0o7777).toString(8), dest]);
      if (isRoot) await chown(dest, e.uid, e.gid);
      return undefined;
    default:
      return undefined; // sockets, contiguous files of exotic archivers: nothing a container needs
  }
}

async function makeWhiteout(p: string): Promise<void> {
  await runCommand('mknod', [p, 'c', '0', '0']);
}

/** True when a lower layer hides the lower ones at `rel` or above (a whiteout or a non-directory). */
async function blockedAbove(lower: string, rel: string): Promise<boolean> {
  const parts = rel === '' ? [] : rel.split('/');
  let cur = lower;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = await lstatOrUndefined(cur);
    if (!st) return false;
    if (!st.isDirectory()) return true;
  }
  return false;
}

/** Whether `rel` exists in the merged view of `lowers` (top-most first). */
async function visibleBeneath(lowers: readonly string[], rel: string): Promise<boolean> {
  for (const lower of lowers) {
    if (await blockedAbove(lower, rel)) return false;
    const st = await lstatOrUndefined(hostPath(lower, rel));
    if (st) return !isWhiteout(st);
  }
  return false;
}

/** The names the merged view of `lowers` shows in directory `rel`. */
async function namesBeneath(lowers: readonly string[], rel: string): Promise<string[]> {
  const seen = new Set<string>();
  const visible: string[] = [];
  for (const lower of lowers) {
    if (await blockedAbove(lower, rel)) break;
    const st = await lstatOrUndefined(hostPath(lower, rel));
    if (!st) continue;
    if (!st.isDirectory()) break;
    for (const name of await readdir(hostPath(lower, rel))) {
      if (seen.has(name)) continue;
      seen.add(name);
      const child = await lstatOrUndefined(hostPath(lower, posix.join(rel, name)));
      if (child && !isWhiteout(child)) visible.push(name);
    }
  }
  return visible;
}

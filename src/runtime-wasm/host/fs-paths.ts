/**
 * Path resolution confined to a mount's root (worker side): the one place a guest's path becomes a
 * host path. A guest names files relative to a descriptor it holds; this walks the path a component
 * at a time with `lstat`, following symlinks itself (never letting the OS follow one), so:
 * - an absolute path is refused (`not-permitted`, as WASI hosts do);
 * - `..` that would climb above the mount root is refused (`not-permitted`);
 * - a symlink is followed only while its target stays inside the root: an absolute target, or one
 *   that climbs out, is refused; kubelet's `..data` and per-key links of config volumes stay inside;
 * - the result is a list of real directory names under the root with no symlink in it, which the
 *   caller opens with `O_NOFOLLOW` on the last one.
 *
 * A mount of single files (`subPath` naming a file, as `/etc/app/config.json`) is a *virtual*
 * directory: WASI preopens are directories, so the guest gets one at the files' parent path, holding
 * those files and nothing else (the node directory around a file is never listed or reachable). It
 * cannot be changed: no entry is created, removed or renamed in it; a file in it is written only where
 * its own grant allows. Resolving a name of it yields that file's grant (`Resolved.mount`).
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { ErrorCode, FsError, errnoCode } from './fs-errors.js';

/** One mount as the worker sees it (see VolumeMountConfig). */
export interface MountGrant {
  /** The volume's name (for messages). */
  volume: string;
  /** The node directory the mount shows (its real path, resolved when the container was created). */
  hostPath: string;
  /** Where the guest sees it (an absolute, normalised path). */
  containerPath: string;
  readOnly: boolean;
  /** Writable mounts with a size limit: the most bytes files under it may hold. */
  sizeLimitBytes?: number;
  /** Bytes held under the mount, shared by every instance writing to it (`BigInt64Array` on a SAB). */
  usage?: BigInt64Array;
  /**
   * A virtual directory of single-file mounts: these files (each a grant whose `hostPath` is the
   * file's real path and whose `containerPath` is the file's path in the guest) and nothing else.
   * `hostPath` is then only what the directory's own stat shows; `readOnly` is true.
   */
  files?: MountGrant[];
}

/** Links followed in one resolution before `loop` (Linux's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;
/** Longest path a guest may pass (PATH_MAX). */
const MAX_PATH = 4096;

/** A resolved location: the real directory names under the mount root, and what is there. */
export interface Resolved {
  /** The grant the location is in: the mount itself, or a file of a virtual directory. */
  mount: MountGrant;
  rel: string[];
  /** Absent when the last component does not exist (the caller may create it). */
  stat?: Stats;
}

/** The host path of `rel` under `mount` (nothing under a virtual directory: only its files' grants). */
export function hostPathOf(mount: MountGrant, rel: readonly string[]): string {
  if (rel.length === 0) return mount.hostPath;
  if (mount.files) throw new FsError(ErrorCode.noEntry);
  return `${mount.hostPath}/${rel.join('/')}`;
}

/** The name a file of a virtual directory has in it. */
export function fileName(file: MountGrant): string {
  return file.containerPath.slice(file.containerPath.lastIndexOf('/') + 1);
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new FsError(errnoCode(err));
  }
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Resolves `path` relative to `base` (a resolved directory under `mount`). `followLast`: follow a
 * symlink in the last component (`symlink-follow`); otherwise the link itself is the result.
 * Throws {@link FsError} with the WASI error code.
 */
export function resolvePath(mount: MountGrant, base: readonly string[], path: string, followLast: boolean): Resolved {
  if (path.length > MAX_PATH) throw new FsError(ErrorCode.nameTooLong);
  if (path.includes('\0')) throw new FsError(ErrorCode.illegalByteSequence);
  if (path.startsWith('/')) throw new FsError(ErrorCode.notPermitted);
  if (mount.files) return resolveVirtual(mount, mount.files, path);
  const stack = [...base];
  const pending = components(path).reverse();
  // A trailing slash asks for a directory (POSIX).
  const wantsDir = path.endsWith('/');
  let links = 0;
  let stat: Stats | undefined = undefined;
  if (path === '') throw new FsError(ErrorCode.noEntry);
  while (pending.length > 0) {
    const name = pending.pop()!;
    const last = pending.length === 0;
    if (name === '..') {
      if (stack.length === 0) throw new FsError(ErrorCode.notPermitted);
      stack.pop();
      stat = undefined;
      if (last) stat = lstatOrUndefined(hostPathOf(mount, stack));
      continue;
    }
    if (name.length > 255) throw new FsError(ErrorCode.nameTooLong);
    const here = lstatOrUndefined(hostPathOf(mount, [...stack, name]));
    if (!here) {
      if (!last) throw new FsError(ErrorCode.noEntry);
      stack.push(name);
      return { mount, rel: stack };
    }
    if (here.isSymbolicLink() && (!last || followLast || wantsDir)) {
      if (++links > MAX_SYMLINKS) throw new FsError(ErrorCode.loop);
      const target = readlinkSync(hostPathOf(mount, [...stack, name]), 'utf8');
      // An absolute target names a host path: never inside a guest's view.
      if (target.startsWith('/')) throw new FsError(ErrorCode.notPermitted);
      for (const c of components(target).reverse()) pending.push(c);
      if (pending.length === 0) throw new FsError(ErrorCode.noEntry);
      continue;
    }
    if (!last && !here.isDirectory()) throw new FsError(ErrorCode.notDirectory);
    stack.push(name);
    stat = here;
  }
  if (stat === undefined) stat = lstatOrUndefined(hostPathOf(mount, stack));
  if (wantsDir && stat && !stat.isDirectory()) throw new FsError(ErrorCode.notDirectory);
  return stat ? { mount, rel: stack, stat } : { mount, rel: stack };
}

/**
 * Resolves `path` in a virtual directory of single files: `.` is the directory, a file's name is that
 * file (its own grant; nothing lies under a file, so `name/…` is `not-directory`), any other name does
 * not exist, and `..` is refused as above any mount root.
 */
function resolveVirtual(dir: MountGrant, files: readonly MountGrant[], path: string): Resolved {
  if (path === '') throw new FsError(ErrorCode.noEntry);
  const wantsDir = path.endsWith('/');
  const parts = components(path);
  let at: MountGrant | undefined;
  for (const [i, name] of parts.entries()) {
    if (name.length > 255) throw new FsError(ErrorCode.nameTooLong);
    if (at !== undefined) throw new FsError(ErrorCode.notDirectory); // a name under a file
    if (name === '..') throw new FsError(ErrorCode.notPermitted);
    at = files.find((f) => fileName(f) === name);
    if (!at) {
      if (i < parts.length - 1) throw new FsError(ErrorCode.noEntry);
      return { mount: dir, rel: [name] }; // absent; nothing may be created here
    }
  }
  if (at === undefined) return { mount: dir, rel: [], stat: lstatOrUndefined(dir.hostPath) };
  if (wantsDir) throw new FsError(ErrorCode.notDirectory);
  const stat = lstatOrUndefined(at.hostPath);
  return stat ? { mount: at, rel: [], stat } : { mount: at, rel: [] };
}

/**
 * Whether a symlink the guest asks to create, holding `target`, can never lead out of its mount:
 * only relative targets that go down (no `..`), so moving the link anywhere inside keeps it inside.
 */
export function isContainedLinkTarget(target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return false;
  return !target.split('/').includes('..');
}

/**
 * Core-level imports of `wasi:filesystem/types`, the `*-at` methods that name a path relative to a
 * directory descriptor (worker side). Every path goes through {@link resolvePath} (confined to the
 * mount); every change is refused on a read-only mount (`read-only`); a guest may create a symlink
 * only with a target that goes down (no `..`, not absolute) and no hard link (`not-permitted`).
 */
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { CoreContext, InterfaceImports } from './context.js';
import { fsResult, lstatBig, newTimestampMs, storeMetadataHash, storeStat } from './fs-abi.js';
import { ErrorCode, FsError, errnoCode } from './fs-errors.js';
import { hostPathOf, isContainedLinkTarget, resolvePath, type Resolved } from './fs-paths.js';
import { Descriptor, DescriptorFlag } from './fs-resources.js';
import { releaseSpace } from './fs-space.js';

const SYMLINK_FOLLOW = 1;
const OpenFlag = { create: 1, directory: 2, exclusive: 4, truncate: 8 } as const;

function directory(ctx: CoreContext, handle: number): Descriptor {
  const d = ctx.state.table.get(handle, Descriptor);
  if (d.kind !== 'directory') throw new FsError(ErrorCode.notDirectory);
  return d;
}

function mutable(d: Descriptor): Descriptor {
  if (d.mount.readOnly) throw new FsError(ErrorCode.readOnly);
  if ((d.flags & DescriptorFlag.mutateDirectory) === 0) throw new FsError(ErrorCode.notPermitted);
  return d;
}

function at(ctx: CoreContext, dir: Descriptor, ptr: number, len: number, follow: boolean): Resolved {
  return resolvePath(dir.mount, dir.rel, ctx.mem.readString(ptr, len), follow);
}

function existing(r: Resolved): NonNullable<Resolved['stat']> {
  if (!r.stat) throw new FsError(ErrorCode.noEntry);
  return r.stat;
}

function sys(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw new FsError(errnoCode(err));
  }
}

/** A regular file's bytes that leave the mount when its last link goes. */
const heldBytes = (st: { isFile(): boolean; nlink: number; size: number }): number =>
  st.isFile() && st.nlink <= 1 ? st.size : 0;

function openAt(
  ctx: CoreContext,
  self: number,
  pathFlags: number,
  ptr: number,
  len: number,
  oflags: number,
  flags: number,
): Descriptor {
  const dir = directory(ctx, self);
  const wantsWrite = (flags & DescriptorFlag.write) !== 0 || (oflags & (OpenFlag.create | OpenFlag.truncate)) !== 0;
  const r = at(ctx, dir, ptr, len, (pathFlags & SYMLINK_FOLLOW) !== 0);
  // What may be written is the found file's grant (a file of a virtual directory has its own).
  const mount = r.stat ? r.mount : dir.mount;
  if (wantsWrite && mount.readOnly) throw new FsError(ErrorCode.readOnly);
  let isDir: boolean;
  if (!r.stat) {
    if ((oflags & OpenFlag.create) === 0) throw new FsError(ErrorCode.noEntry);
    if ((oflags & OpenFlag.directory) !== 0) throw new FsError(ErrorCode.invalid);
    mutable(dir);
    const host = hostPathOf(mount, r.rel);
    sys(() =>
      closeSync(
        openSync(host, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644),
      ),
    );
    isDir = false;
  } else {
    const st = r.stat;
    if ((oflags & OpenFlag.create) !== 0 && (oflags & OpenFlag.exclusive) !== 0) throw new FsError(ErrorCode.exist);
    if (st.isSymbolicLink()) throw new FsError(ErrorCode.loop);
    isDir = st.isDirectory();
    if (!isDir && !st.isFile()) throw new FsError(ErrorCode.notPermitted);
    if ((oflags & OpenFlag.directory) !== 0 && !isDir) throw new FsError(ErrorCode.notDirectory);
    if (isDir && (flags & DescriptorFlag.write) !== 0) throw new FsError(ErrorCode.isDirectory);
    if ((oflags & OpenFlag.truncate) !== 0 && !isDir) {
      const host = hostPathOf(mount, r.rel);
      sys(() => closeSync(openSync(host, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW)));
      releaseSpace(mount, st.size);
    }
  }
  // A descriptor never holds more than its mount allows: no write or mutation on a read-only one. A
  // directory inherits what its mount allows (as wasmtime's do), whatever the guest asked for.
  const granted = isDir
    ? DescriptorFlag.read | (mount.readOnly ? 0 : DescriptorFlag.mutateDirectory)
    : flags & (DescriptorFlag.read | (mount.readOnly ? 0 : DescriptorFlag.write));
  return new Descriptor(mount, r.rel, isDir ? 'directory' : 'file', granted);
}

/** The stat of what `path` names under directory `self` (a link itself unless `symlink-follow`). */
function statAt(ctx: CoreContext, self: number, pathFlags: number, ptr: number, len: number): BigIntStats {
  const dir = directory(ctx, self);
  const r = at(ctx, dir, ptr, len, (pathFlags & SYMLINK_FOLLOW) !== 0);
  existing(r);
  return lstatBig(hostPathOf(r.mount, r.rel));
}

/** Whether a link's target, read from inside the mount at depth `depth`, stays inside it. */
function targetStaysInside(target: string, depth: number): boolean {
  if (target.startsWith('/')) return false;
  let d = depth;
  for (const c of target.split('/')) {
    if (c === '..') d--;
    else if (c !== '' && c !== '.') d++;
    if (d < 0) return false;
  }
  return true;
}

/** The `*-at` methods of `descriptor`. */
export const pathImports: InterfaceImports = {
  '[method]descriptor.open-at':
    (ctx) =>
    (self: number, pathFlags: number, ptr: number, len: number, oflags: number, flags: number, ret: number): void =>
      fsResult(ctx.mem, ret, 4, () => {
        const d = openAt(ctx, self, pathFlags, ptr, len, oflags, flags);
        ctx.mem.dv.setUint32(ret + 4, ctx.state.table.add(d), true);
      }),
  '[method]descriptor.stat-at':
    (ctx) =>
    (self: number, pathFlags: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 8, () => storeStat(ctx.mem, ret + 8, statAt(ctx, self, pathFlags, ptr, len))),
  '[method]descriptor.metadata-hash-at':
    (ctx) =>
    (self: number, pathFlags: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 8, () => storeMetadataHash(ctx.mem, ret + 8, statAt(ctx, self, pathFlags, ptr, len))),
  '[method]descriptor.set-times-at':
    (ctx) =>
    (
      self: number,
      pf: number,
      ptr: number,
      len: number,
      aTag: number,
      aSec: bigint,
      aNs: number,
      mTag: number,
      mSec: bigint,
      mNs: number,
      ret: number,
    ) =>
      fsResult(ctx.mem, ret, 1, () => {
        const dir = directory(ctx, self);
        const r = at(ctx, dir, ptr, len, (pf & SYMLINK_FOLLOW) !== 0);
        existing(r);
        if (r.mount.readOnly) throw new FsError(ErrorCode.readOnly);
        const host = hostPathOf(r.mount, r.rel);
        const st = lstatBig(host);
        if (st.isSymbolicLink()) throw new FsError(ErrorCode.notPermitted);
        const atime = newTimestampMs(aTag, aSec, aNs, st.atimeNs) / 1000;
        const mtime = newTimestampMs(mTag, mSec, mNs, st.mtimeNs) / 1000;
        sys(() => utimesSync(host, atime, mtime));
      }),
  '[method]descriptor.create-directory-at':
    (ctx) =>
    (self: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 1, () => {
        const dir = mutable(directory(ctx, self));
        const r = at(ctx, dir, ptr, len, false);
        if (r.stat) throw new FsError(ErrorCode.exist);
        sys(() => mkdirSync(hostPathOf(dir.mount, r.rel), 0o755));
      }),
  '[method]descriptor.remove-directory-at':
    (ctx) =>
    (self: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 1, () => {
        const dir = mutable(directory(ctx, self));
        const r = at(ctx, dir, ptr, len, false);
        if (!existing(r).isDirectory()) throw new FsError(ErrorCode.notDirectory);
        if (r.rel.length === 0) throw new FsError(ErrorCode.busy); // the mount's root
        sys(() => rmdirSync(hostPathOf(dir.mount, r.rel)));
      }),
  '[method]descriptor.unlink-file-at':
    (ctx) =>
    (self: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 1, () => {
        const dir = mutable(directory(ctx, self));
        const r = at(ctx, dir, ptr, len, false);
        const st = existing(r);
        if (st.isDirectory()) throw new FsError(ErrorCode.isDirectory);
        sys(() => unlinkSync(hostPathOf(dir.mount, r.rel)));
        releaseSpace(dir.mount, heldBytes(st));
      }),
  '[method]descriptor.rename-at':
    (ctx) =>
    (self: number, op: number, ol: number, newDir: number, np: number, nl: number, ret: number): void =>
      fsResult(ctx.mem, ret, 1, () => {
        const from = mutable(directory(ctx, self));
        const to = mutable(directory(ctx, newDir));
        if (from.mount.hostPath !== to.mount.hostPath) throw new FsError(ErrorCode.crossDevice);
        const src = at(ctx, from, op, ol, false);
        existing(src);
        if (src.rel.length === 0) throw new FsError(ErrorCode.busy);
        const dst = at(ctx, to, np, nl, false);
        if (dst.rel.length === 0) throw new FsError(ErrorCode.busy);
        sys(() => renameSync(hostPathOf(from.mount, src.rel), hostPathOf(to.mount, dst.rel)));
        if (dst.stat) releaseSpace(to.mount, heldBytes(dst.stat));
      }),
  '[method]descriptor.symlink-at':
    (ctx) =>
    (self: number, op: number, ol: number, np: number, nl: number, ret: number): void =>
      fsResult(ctx.mem, ret, 1, () => {
        const dir = mutable(directory(ctx, self));
        const target = ctx.mem.readString(op, ol);
        if (!isContainedLinkTarget(target)) throw new FsError(ErrorCode.notPermitted);
        const r = at(ctx, dir, np, nl, false);
        if (r.stat) throw new FsError(ErrorCode.exist);
        sys(() => symlinkSync(target, hostPathOf(dir.mount, r.rel)));
      }),
  '[method]descriptor.link-at':
    (ctx) =>
    (self: number, _pf: number, _op: number, _ol: number, _newDir: number, _np: number, _nl: number, ret: number) =>
      fsResult(ctx.mem, ret, 1, () => {
        mutable(directory(ctx, self));
        throw new FsError(ErrorCode.notPermitted);
      }),
  '[method]descriptor.readlink-at':
    (ctx) =>
    (self: number, ptr: number, len: number, ret: number): void =>
      fsResult(ctx.mem, ret, 4, () => {
        const dir = directory(ctx, self);
        const r = at(ctx, dir, ptr, len, false);
        // A file of a virtual directory is never a link the guest may read (`r.mount` is its own grant).
        if (!existing(r).isSymbolicLink() || r.mount !== dir.mount) throw new FsError(ErrorCode.invalid);
        let target = '';
        sys(() => (target = readlinkSync(hostPathOf(r.mount, r.rel), 'utf8')));
        // A target that leads out would show a host path: the guest is not told it.
        if (!targetStaysInside(target, r.rel.length - 1)) throw new FsError(ErrorCode.notPermitted);
        ctx.mem.storeString(ret + 4, target);
      }),
};

/**
 * Core-level imports of `wasi:filesystem/types`, the methods on a descriptor itself (worker side):
 * streams, read/write at an offset, stat, flags and type, size, times, directory listing, identity.
 * Each function has the canonical ABI's flat signature of its WIT function (the return pointer last).
 */
import { constants, ftruncateSync, fstatSync, utimesSync } from 'node:fs';
import type { InterfaceImports } from './context.js';
import { fsResult, lstatBig, newTimestampMs, storeMetadataHash, storeStat } from './fs-abi.js';
import { ErrorCode, FsError } from './fs-errors.js';
import {
  Descriptor,
  DescriptorFlag,
  DescriptorType,
  DirectoryEntryStream,
  FileInputStream,
  FileOutputStream,
  listDirectory,
  readAt,
  withFile,
  writeAt,
} from './fs-resources.js';
import { releaseSpace, reserveSpace } from './fs-space.js';

const MAX_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/** An offset or length from the guest as a number (past 2^53: `overflow`). */
function offsetOf(n: bigint): number {
  if (n > MAX_OFFSET) throw new FsError(ErrorCode.overflow);
  return Number(n);
}

function file(d: Descriptor, flag: number): Descriptor {
  if (d.kind === 'directory') throw new FsError(ErrorCode.isDirectory);
  d.need(flag);
  return d;
}

function writable(d: Descriptor, flag: number): Descriptor {
  if (d.mount.readOnly) throw new FsError(ErrorCode.readOnly);
  return file(d, flag);
}

/** The methods of `descriptor` that name no path. */
export const descriptorImports: InterfaceImports = {
  '[method]descriptor.read-via-stream':
    ({ mem, state }) =>
    (self: number, offset: bigint, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const stream = new FileInputStream(
          file(state.table.get(self, Descriptor), DescriptorFlag.read),
          offsetOf(offset),
        );
        mem.dv.setUint32(ret + 4, state.table.add(stream), true);
      }),
  '[method]descriptor.write-via-stream':
    ({ mem, state }) =>
    (self: number, offset: bigint, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const d = writable(state.table.get(self, Descriptor), DescriptorFlag.write);
        mem.dv.setUint32(ret + 4, state.table.add(new FileOutputStream(d, offsetOf(offset), false)), true);
      }),
  '[method]descriptor.append-via-stream':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const d = writable(state.table.get(self, Descriptor), DescriptorFlag.write);
        mem.dv.setUint32(ret + 4, state.table.add(new FileOutputStream(d, 0, true)), true);
      }),
  '[method]descriptor.advise':
    ({ mem, state }) =>
    (self: number, _offset: bigint, _len: bigint, _advice: number, ret: number): void =>
      fsResult(mem, ret, 1, () => void state.table.get(self, Descriptor)),
  '[method]descriptor.sync-data':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 1, () => void state.table.get(self, Descriptor)),
  '[method]descriptor.sync':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 1, () => void state.table.get(self, Descriptor)),
  '[method]descriptor.get-flags':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 1, () => void (mem.u8[ret + 1] = state.table.get(self, Descriptor).flags)),
  '[method]descriptor.get-type':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 1, () => {
        const d = state.table.get(self, Descriptor);
        mem.u8[ret + 1] = d.kind === 'directory' ? DescriptorType.directory : DescriptorType.regularFile;
      }),
  '[method]descriptor.set-size':
    ({ mem, state }) =>
    (self: number, size: bigint, ret: number): void =>
      fsResult(mem, ret, 1, () => {
        const d = writable(state.table.get(self, Descriptor), DescriptorFlag.write);
        const want = offsetOf(size);
        withFile(d.hostPath, constants.O_WRONLY, (fd) => {
          const old = fstatSync(fd).size;
          if (want > old && !reserveSpace(d.mount, want - old)) throw new FsError(ErrorCode.insufficientSpace);
          ftruncateSync(fd, want);
          if (want < old) releaseSpace(d.mount, old - want);
        });
      }),
  '[method]descriptor.set-times':
    ({ mem, state }) =>
    (self: number, aTag: number, aSec: bigint, aNs: number, mTag: number, mSec: bigint, mNs: number, ret: number) =>
      fsResult(mem, ret, 1, () => {
        const d = state.table.get(self, Descriptor);
        if (d.mount.readOnly) throw new FsError(ErrorCode.readOnly);
        const st = lstatBig(d.hostPath);
        utimesSync(
          d.hostPath,
          newTimestampMs(aTag, aSec, aNs, st.atimeNs) / 1000,
          newTimestampMs(mTag, mSec, mNs, st.mtimeNs) / 1000,
        );
      }),
  '[method]descriptor.read':
    ({ mem, state }) =>
    (self: number, len: bigint, offset: bigint, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const d = file(state.table.get(self, Descriptor), DescriptorFlag.read);
        const { bytes, eof } = readAt(d, offsetOf(len), offsetOf(offset));
        mem.storeBytes(ret + 4, bytes);
        mem.u8[ret + 12] = eof ? 1 : 0;
      }),
  '[method]descriptor.write':
    ({ mem, state }) =>
    (self: number, ptr: number, len: number, offset: bigint, ret: number): void =>
      fsResult(mem, ret, 8, () => {
        const d = writable(state.table.get(self, Descriptor), DescriptorFlag.write);
        const bytes = mem.readBytes(ptr, len);
        writeAt(d, bytes, offsetOf(offset));
        mem.dv.setBigUint64(ret + 8, BigInt(len), true);
      }),
  '[method]descriptor.read-directory':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const d = state.table.get(self, Descriptor);
        if (d.kind !== 'directory') throw new FsError(ErrorCode.notDirectory);
        d.need(DescriptorFlag.read);
        mem.dv.setUint32(ret + 4, state.table.add(listDirectory(d)), true);
      }),
  '[method]descriptor.stat':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 8, () => storeStat(mem, ret + 8, lstatBig(state.table.get(self, Descriptor).hostPath))),
  '[method]descriptor.is-same-object':
    ({ state }) =>
    (self: number, other: number): number => {
      const a = state.table.get(self, Descriptor);
      const b = state.table.get(other, Descriptor);
      return a.hostPath === b.hostPath ? 1 : 0;
    },
  '[method]descriptor.metadata-hash':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 8, () =>
        storeMetadataHash(mem, ret + 8, lstatBig(state.table.get(self, Descriptor).hostPath)),
      ),
  '[resource-drop]descriptor':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, Descriptor),
  // result<option<directory-entry>, error-code>: option @4, entry type @8, name @12.
  '[method]directory-entry-stream.read-directory-entry':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      fsResult(mem, ret, 4, () => {
        const entry = state.table.get(self, DirectoryEntryStream).next();
        if (!entry) {
          mem.u8[ret + 4] = 0;
          return;
        }
        mem.storeString(ret + 12, entry.name);
        mem.u8[ret + 8] = entry.type;
        mem.u8[ret + 4] = 1;
      }),
  '[resource-drop]directory-entry-stream':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, DirectoryEntryStream),
};

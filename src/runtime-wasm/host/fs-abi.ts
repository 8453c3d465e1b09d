/**
 * Canonical ABI helpers of `wasi:filesystem` (worker side): `result<T, error-code>` written at a
 * return pointer, and the `descriptor-stat` record. A host function's FsError becomes the `err` case;
 * a HostTrap (a bad handle: the guest broke the ABI) still ends the instance.
 */
import { lstatSync, type BigIntStats } from 'node:fs';
import { FsError, errnoCode } from './fs-errors.js';
import { DescriptorType } from './fs-resources.js';
import { HostTrap, type GuestMemory } from './guest-memory.js';

/**
 * Runs `fn` and writes `result<T, error-code>` at `ret`: discriminant at +0, and on error the code at
 * `ret + payloadAt` (the payload's offset: the alignment of the larger case). `fn` writes the ok payload.
 */
export function fsResult(mem: GuestMemory, ret: number, payloadAt: number, fn: () => void): void {
  try {
    fn();
    mem.u8[ret] = 0;
  } catch (err) {
    if (err instanceof HostTrap) throw err;
    if (!(err instanceof FsError) && !(err as NodeJS.ErrnoException | undefined)?.code) throw err;
    mem.u8[ret] = 1;
    mem.u8[ret + payloadAt] = errnoCode(err);
  }
}

/** `lstat` with nanosecond times, as an FsError on failure. */
export function lstatBig(path: string): BigIntStats {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    throw new FsError(errnoCode(err));
  }
}

/** The `descriptor-type` of a stat. */
export function typeOf(st: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): number {
  if (st.isDirectory()) return DescriptorType.directory;
  if (st.isFile()) return DescriptorType.regularFile;
  if (st.isSymbolicLink()) return DescriptorType.symbolicLink;
  return DescriptorType.unknown;
}

const NS = 1_000_000_000n;

function storeDatetime(mem: GuestMemory, at: number, ns: bigint): void {
  const dv = mem.dv;
  mem.u8[at] = 1;
  dv.setBigUint64(at + 8, ns / NS, true);
  dv.setUint32(at + 16, Number(ns % NS), true);
}

/**
 * Writes a `descriptor-stat` at `at` (8-aligned): type @0, link-count @8, size @16, then three
 * `option<datetime>` (access @24, modification @48, status change @72).
 */
export function storeStat(mem: GuestMemory, at: number, st: BigIntStats): void {
  const dv = mem.dv;
  mem.u8[at] = typeOf(st);
  dv.setBigUint64(at + 8, st.nlink, true);
  dv.setBigUint64(at + 16, st.size, true);
  storeDatetime(mem, at + 24, st.atimeNs);
  storeDatetime(mem, at + 48, st.mtimeNs);
  storeDatetime(mem, at + 72, st.ctimeNs);
}

/** Writes a `metadata-hash-value` at `at` (lower @0, upper @8): the file's identity on the node. */
export function storeMetadataHash(mem: GuestMemory, at: number, st: BigIntStats): void {
  mem.dv.setBigUint64(at, BigInt.asUintN(64, st.ino), true);
  mem.dv.setBigUint64(at + 8, BigInt.asUintN(64, st.dev), true);
}

/** A `new-timestamp` flattened (discriminant, seconds, nanoseconds) → ms for `utimes`, or undefined for `no-change`. */
export function newTimestampMs(tag: number, seconds: bigint, nanos: number, current: bigint): number {
  if (tag === 0) return Number(current / 1_000_000n);
  if (tag === 1) return Date.now();
  return Number(seconds) * 1000 + nanos / 1e6;
}

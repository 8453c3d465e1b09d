/**
 * The resources of `wasi:filesystem` for one instance (worker side): descriptors, directory entry
 * streams, and the input/output streams of files.
 *
 * A descriptor holds a *location* (its mount and the real names under the mount root), never a host
 * file descriptor: every operation opens, works and closes within the one host call (with
 * `O_NOFOLLOW`). So a guest cannot exhaust the agent's file descriptors, an executor that is
 * terminated leaks none, and a config file replaced by kubelet's `..data` swap is read fresh on the
 * next open. Reads are bounded per call (MAX_READ_BYTES); directory listings per directory.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, writeSync } from 'node:fs';
import { ErrorCode, FsError, FsIoError, errnoCode } from './fs-errors.js';
import { fileName, hostPathOf, type MountGrant } from './fs-paths.js';
import { releaseSpace, reserveSpace } from './fs-space.js';
import { InputStream, OutputStream, type IoError } from './io-resources.js';

/** The most bytes one read call returns (a guest asks again for more). */
export const MAX_READ_BYTES = 1 << 20;
/** The most entries a directory may have to be listed. */
export const MAX_DIRECTORY_ENTRIES = 100_000;

/** `descriptor-flags` bits. */
export const DescriptorFlag = { read: 1, write: 2, mutateDirectory: 32 } as const;
/** `descriptor-type` cases. */
export const DescriptorType = { unknown: 0, directory: 3, symbolicLink: 5, regularFile: 6 } as const;

/** `wasi:filesystem/types.descriptor`: a directory or regular file inside one mount. */
export class Descriptor {
  constructor(
    readonly mount: MountGrant,
    readonly rel: readonly string[],
    readonly kind: 'directory' | 'file',
    readonly flags: number,
  ) {}

  get hostPath(): string {
    return hostPathOf(this.mount, this.rel);
  }

  /** Throws unless the descriptor was opened with `flag` (read / write). */
  need(flag: number): void {
    if ((this.flags & flag) === 0) throw new FsError(ErrorCode.badDescriptor);
  }
}

/** Runs `fn` on the file at `path` opened with `flags` (never following a final symlink). */
export function withFile<T>(path: string, flags: number, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_NOFOLLOW);
  } catch (err) {
    throw new FsError(errnoCode(err));
  }
  try {
    return fn(fd);
  } catch (err) {
    throw err instanceof FsError ? err : new FsError(errnoCode(err));
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `max` bytes at `offset`; `eof` when the file ends there. */
export function readAt(file: Descriptor, max: number, offset: number): { bytes: Uint8Array; eof: boolean } {
  const want = Math.min(max, MAX_READ_BYTES);
  return withFile(file.hostPath, constants.O_RDONLY, (fd) => {
    const buf = Buffer.allocUnsafe(want);
    const n = want > 0 ? readSync(fd, buf, 0, want, offset) : 0;
    const size = fstatSync(fd).size;
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, n).slice(), eof: offset + n >= size };
  });
}

/**
 * Writes `bytes` at `offset` (or at the end, `append`), within the mount's size limit; returns the
 * offset after the write.
 */
export function writeAt(file: Descriptor, bytes: Uint8Array, offset: number, append = false): number {
  return withFile(file.hostPath, constants.O_WRONLY, (fd) => {
    const size = fstatSync(fd).size;
    const at = append ? size : offset;
    const growth = Math.max(0, at + bytes.byteLength - size);
    if (!reserveSpace(file.mount, growth)) throw new FsError(ErrorCode.insufficientSpace);
    try {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done, at + done);
    } catch (err) {
      releaseSpace(file.mount, growth);
      throw err;
    }
    return at + bytes.byteLength;
  });
}

/** `input-stream` of a file from an offset: each read opens and reads the file (fresh content). */
export class FileInputStream extends InputStream {
  #offset: number;
  constructor(
    readonly file: Descriptor,
    offset: number,
  ) {
    super();
    this.#offset = offset;
  }

  /** Up to `max` bytes; undefined at the end of the file (the stream is closed); throws FsError. */
  override read(max: number): Uint8Array | undefined {
    const { bytes } = readAt(this.file, max, this.#offset);
    if (bytes.byteLength === 0 && max > 0) return undefined;
    this.#offset += bytes.byteLength;
    return bytes;
  }
}

/** `output-stream` of a file at an offset, or appending. */
export class FileOutputStream extends OutputStream {
  constructor(file: Descriptor, offset: number, append: boolean) {
    let position = offset;
    super((bytes): string | IoError | undefined => {
      try {
        position = writeAt(file, bytes, position, append);
        return undefined;
      } catch (err) {
        return new FsIoError(errnoCode(err));
      }
    });
  }
}

/** `directory-entry-stream`: the entries of a directory as listed when it was opened. */
export class DirectoryEntryStream {
  #next = 0;
  constructor(readonly entries: ReadonlyArray<{ type: number; name: string }>) {}

  /** The next entry, or undefined at the end. */
  next(): { type: number; name: string } | undefined {
    return this.entries[this.#next++];
  }
}

/** Lists `dir` (bounded by MAX_DIRECTORY_ENTRIES); a virtual directory lists its files only. */
export function listDirectory(dir: Descriptor): DirectoryEntryStream {
  if (dir.mount.files) return new DirectoryEntryStream(dir.mount.files.map(virtualEntry));
  let entries;
  try {
    entries = readdirSync(dir.hostPath, { withFileTypes: true });
  } catch (err) {
    throw new FsError(errnoCode(err));
  }
  if (entries.length > MAX_DIRECTORY_ENTRIES) throw new FsError(ErrorCode.insufficientMemory);
  return new DirectoryEntryStream(
    entries.map((e) => ({
      name: e.name,
      type: e.isDirectory()
        ? DescriptorType.directory
        : e.isFile()
          ? DescriptorType.regularFile
          : e.isSymbolicLink()
            ? DescriptorType.symbolicLink
            : DescriptorType.unknown,
    })),
  );
}

/** The entry of one file of a virtual directory (a file gone or replaced shows what is there now). */
function virtualEntry(file: MountGrant): { type: number; name: string } {
  const st = lstatSync(file.hostPath, { throwIfNoEntry: false });
  const type = !st
    ? DescriptorType.unknown
    : st.isFile()
      ? DescriptorType.regularFile
      : st.isSymbolicLink()
        ? DescriptorType.symbolicLink
        : DescriptorType.unknown;
  return { name: fileName(file), type };
}

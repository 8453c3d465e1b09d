/**
 * `wasi:filesystem/types.error-code` (worker side): the enum's case numbers, the error the host's
 * filesystem functions throw, and the mapping from Node's errno codes. The host never shows a guest
 * a host path: messages stay in the host, the guest sees only the code.
 */
import { IoError } from './io-resources.js';

/** The cases of `error-code`, in WIT order (the canonical ABI's discriminants). */
export const ErrorCode = {
  access: 0,
  wouldBlock: 1,
  already: 2,
  badDescriptor: 3,
  busy: 4,
  quota: 6,
  exist: 7,
  fileTooLarge: 8,
  illegalByteSequence: 9,
  interrupted: 11,
  invalid: 12,
  io: 13,
  isDirectory: 14,
  loop: 15,
  tooManyLinks: 16,
  nameTooLong: 18,
  noEntry: 20,
  insufficientMemory: 22,
  insufficientSpace: 23,
  notDirectory: 24,
  notEmpty: 25,
  unsupported: 27,
  overflow: 30,
  notPermitted: 31,
  readOnly: 33,
  invalidSeek: 34,
  crossDevice: 36,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A filesystem operation failed with a WASI error code. */
export class FsError extends Error {
  constructor(readonly code: ErrorCodeValue) {
    super(`filesystem error-code ${code}`);
    this.name = 'FsError';
  }
}

/** A stream error that `filesystem-error-code` can name (a failed file read or write). */
export class FsIoError extends IoError {
  constructor(readonly code: ErrorCodeValue) {
    super(`filesystem error-code ${code}`);
  }
}

const ERRNO: Readonly<Record<string, ErrorCodeValue>> = {
  EACCES: ErrorCode.access,
  EAGAIN: ErrorCode.wouldBlock,
  EBUSY: ErrorCode.busy,
  EDQUOT: ErrorCode.quota,
  EEXIST: ErrorCode.exist,
  EFBIG: ErrorCode.fileTooLarge,
  EILSEQ: ErrorCode.illegalByteSequence,
  EINTR: ErrorCode.interrupted,
  EINVAL: ErrorCode.invalid,
  EIO: ErrorCode.io,
  EISDIR: ErrorCode.isDirectory,
  ELOOP: ErrorCode.loop,
  EMLINK: ErrorCode.tooManyLinks,
  ENAMETOOLONG: ErrorCode.nameTooLong,
  ENOENT: ErrorCode.noEntry,
  ENOMEM: ErrorCode.insufficientMemory,
  ENOSPC: ErrorCode.insufficientSpace,
  ENOTDIR: ErrorCode.notDirectory,
  ENOTEMPTY: ErrorCode.notEmpty,
  ENOTSUP: ErrorCode.unsupported,
  EOVERFLOW: ErrorCode.overflow,
  EPERM: ErrorCode.notPermitted,
  EROFS: ErrorCode.readOnly,
  ESPIPE: ErrorCode.invalidSeek,
  EXDEV: ErrorCode.crossDevice,
};

/** The WASI code of a thrown Node error (`io` for anything unexpected). */
export function errnoCode(err: unknown): ErrorCodeValue {
  if (err instanceof FsError) return err.code;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined ? ERRNO[code] : undefined) ?? ErrorCode.io;
}

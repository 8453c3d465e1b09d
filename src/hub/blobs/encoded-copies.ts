/**
 * The encoded copies of stored blobs: the brotli form the hub serves to nodes that ask for it
 * (`server/blob-encodings.ts` makes them), kept in a directory of their own beside the store —
 * `<hex>.br`, or a `<hex>.identity` marker for a blob that does not compress, and `<hex>.br.<pid>.tmp`
 * while one is being made. A copy is derived from its blob, so it goes with it: the store removes a
 * blob's copies when it removes the blob (collected, or found damaged), and sweeps the copies whose
 * blob is gone — at start, where older versions left them behind (their collector removed only the
 * blob) and a crash left temporaries, and after each collection, for a copy finished while its blob was
 * being removed. A name that is not a copy's is left alone.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A copy's file (`<hex>.br` or `<hex>.identity`) or a temporary of one (`<hex>.br.<pid>.tmp`). */
const COPY = /^([0-9a-f]{64})\.(br|identity)$/;
const TEMPORARY = /^([0-9a-f]{64})\.br\.\d+\.tmp$/;

/** The files of `hex`'s copies in `dir`: the brotli form, the marker, this process's temporary. */
export function encodedCopyPaths(dir: string, hex: string): { br: string; identity: string; temporary: string } {
  return {
    br: join(dir, `${hex}.br`),
    identity: join(dir, `${hex}.identity`),
    temporary: join(dir, `${hex}.br.${process.pid}.tmp`),
  };
}

/** The encoded copies in one directory, as the store removes them. */
export class EncodedCopies {
  constructor(
    /** The copies' directory (it may not exist yet: no copy was made). */
    readonly dir: string,
  ) {}

  /** Removes `hex`'s copies (there may be none). */
  async remove(hex: string): Promise<void> {
    const paths = encodedCopyPaths(this.dir, hex);
    await Promise.all([rm(paths.br, { force: true }), rm(paths.identity, { force: true })]);
  }

  /**
   * Removes the copies whose blob is not stored (`isStored(hex)` false) and, with `temporaries` (at
   * start, when none is being made), every temporary. Returns the number of files removed.
   */
  async sweep(isStored: (hex: string) => boolean, opts: { temporaries: boolean }): Promise<number> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    let removed = 0;
    for (const name of names) {
      const copy = COPY.exec(name);
      const orphan = copy !== null && !isStored(copy[1]!);
      if (!orphan && !(opts.temporaries && TEMPORARY.test(name))) continue;
      await rm(join(this.dir, name), { force: true });
      removed += 1;
    }
    return removed;
  }
}

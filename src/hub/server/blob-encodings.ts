/**
 * Blobs encoded for the wire: the brotli form of a stored blob, made once (on its first request that
 * accepts `br`) and kept as a file beside the store (`<dir>/<hex>.br`), so every later request — and
 * every resumed range of one — streams the same bytes without compressing again.
 *
 * Why brotli at quality 5: on the 13 MB JS `hello` component it gives 3.8× (gzip -6: 3.1×, brotli 9:
 * 3.9× at 3–4× the CPU, brotli 11: 4.4× at ~80× the CPU) in about a second once per blob, and decodes
 * twice as fast as gzip on the node; Node 20's zlib has no zstd (22.15+). Figures in docs/benchmarks.md.
 *
 * An encoded file is written to a temporary, flushed and renamed, so one that exists is whole. Its ETag
 * names the digest, the encoding, the encoded size and the file's mtime: a file made again (other
 * brotli build, other bytes) has another ETag, so a node's `If-Range` resume never splices two encodings.
 * A blob that does not shrink by a tenth is marked (`<hex>.identity`) and served as it is. The file
 * names are the store's (`blobs/encoded-copies.ts`): it removes a blob's copies with the blob.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress } from 'node:zlib';
import { encodedCopyPaths, type OpenBlob } from '../blobs/index.js';

/** The one encoding a hub serves blobs in besides identity. */
export const BLOB_WIRE_ENCODING = 'br';
/** Blobs smaller than this travel as they are (the headers would eat the gain). */
const MIN_ENCODE_BYTES = 1024;
/** An encoding kept only when it saves at least a tenth. */
const MAX_KEPT_RATIO = 0.9;
const BROTLI_QUALITY = 5;

/** The encoded form of a blob, ready to stream. */
export interface EncodedBlob {
  path: string;
  size: number;
  /** Strong ETag of the encoded bytes (quoted). */
  etag: string;
}

/** Options of {@link BlobEncodings}. */
export interface BlobEncodingsOptions {
  /** Directory of the encoded files (created if needed). */
  dir: string;
}

/** The cache of encoded blobs; one compression per blob however many requests ask at once. */
export class BlobEncodings {
  readonly #dir: string;
  readonly #making = new Map<string, Promise<EncodedBlob | undefined>>();
  #ready: Promise<unknown> | undefined;

  constructor(opts: BlobEncodingsOptions) {
    this.#dir = opts.dir;
  }

  /**
   * The brotli form of `digest`, made from `open()` if not cached; undefined when the blob is small or
   * does not compress (served as identity then).
   */
  async encoded(digest: string, size: number, open: () => Promise<OpenBlob>): Promise<EncodedBlob | undefined> {
    if (size < MIN_ENCODE_BYTES) return undefined;
    const hex = digest.slice('sha256:'.length);
    const cached = await this.#cached(digest, hex);
    if (cached !== 'absent') return cached;
    let making = this.#making.get(hex);
    if (!making) {
      making = this.#make(digest, hex, open).finally(() => this.#making.delete(hex));
      this.#making.set(hex, making);
    }
    return making;
  }

  async #cached(digest: string, hex: string): Promise<EncodedBlob | undefined | 'absent'> {
    const paths = encodedCopyPaths(this.#dir, hex);
    const st = await stat(paths.br).catch(() => undefined);
    if (st?.isFile())
      return { path: paths.br, size: st.size, etag: `"${digest}.br.${st.size}.${Math.trunc(st.mtimeMs)}"` };
    if (await stat(paths.identity).catch(() => undefined)) return undefined;
    return 'absent';
  }

  async #make(digest: string, hex: string, openBlob: () => Promise<OpenBlob>): Promise<EncodedBlob | undefined> {
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await this.#ready;
    const blob = await openBlob();
    const paths = encodedCopyPaths(this.#dir, hex);
    const tmp = paths.temporary;
    try {
      await pipeline(
        blob.stream,
        createBrotliCompress({
          params: {
            [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: blob.size,
          },
        }),
        createWriteStream(tmp, { mode: 0o600 }),
      );
      const fh = await open(tmp, 'r');
      const { size } = await fh.stat();
      await fh.sync().finally(() => fh.close());
      if (size > blob.size * MAX_KEPT_RATIO) {
        await rm(tmp, { force: true });
        await writeFile(paths.identity, '');
        return undefined;
      }
      await rename(tmp, paths.br);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const made = await this.#cached(digest, hex);
    return made === 'absent' ? undefined : made;
  }
}

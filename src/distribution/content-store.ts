/**
 * The one digest-verified content store: blobs on disk named by their digest, written by streaming to a
 * temporary file (hashed and counted as it comes, cut off at a cap), flushed and published by rename
 * with the directory flushed too (src/durable's `publishDurable`), so after a crash or a power cut a
 * blob is either complete and verified or not there at all. A stored blob is checked against its digest
 * again before it is trusted (once per process, or on every use where the caller asks).
 *
 * It holds the mechanics only. Policy stays with its users: the hub's blob store (upload limits, quota,
 * garbage collection), runtime-oci's layer cache (descriptor sizes, shared downloads) and runtime-wasm's
 * component cache (hub and registry pulls). Each chooses its layout on disk (`layout`), which keeps the
 * data directories written by earlier versions readable.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ImagePullError } from '../api/index.js';
import { publishDurable } from '../durable/index.js';
import { Digester, fileDigest, parseDigest } from './digest.js';
import { privateDir } from './private-dir.js';

/** What a write accepts: bytes or a stream of byte chunks (web or Node). */
export type ContentSource = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Options of {@link ContentStore.open}. */
export interface ContentStoreOptions {
  /** The store's directory (made 0700); temporaries go to `<dir>/tmp`, cleared at open. */
  dir: string;
  /** Where blob `<algorithm>:<hex>` lives, relative to `dir` (default `blobs/<algorithm>/<hex>`). */
  layout?: (algorithm: string, hex: string) => string;
}

/** Options of {@link ContentStore.write}. */
export interface WriteOptions {
  /** The digest the content must have; when absent, its sha256 is computed. */
  expected?: string;
  /** The size the content must have (a descriptor's): one byte more stops the write. */
  size?: number;
  /** Names the content in errors (`layer 2 of busybox:1.36`). */
  what: string;
  /**
   * Called before each chunk is taken, with its length and the bytes taken so far; throws to stop the
   * write (a per-blob limit, a quota). Its error is the write's.
   */
  admit?: (chunkBytes: number, received: number) => void;
}

/** Content written to a temporary file and verified, not yet published. */
export interface StagedContent {
  /** The content's digest (`expected`, or its sha256). */
  digest: string;
  size: number;
  /** Publishes it under its digest (flushed, renamed, directory flushed); returns its path. */
  publish(): Promise<string>;
  /** Removes the temporary file. */
  discard(): Promise<void>;
}

async function* chunksOf(source: ContentSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  // Web ReadableStreams are async-iterable in Node 20; the cast papers over lib typings.
  yield* source as AsyncIterable<Uint8Array>;
}

/** Digest-addressed, verified blob storage on the local disk. */
export class ContentStore {
  readonly #dir: string;
  readonly #layout: (algorithm: string, hex: string) => string;
  /** Blobs whose content this process checked against their digest (or wrote). */
  readonly #verified = new Set<string>();

  private constructor(dir: string, layout: (algorithm: string, hex: string) => string) {
    this.#dir = dir;
    this.#layout = layout;
  }

  /**
   * Opens (creating if needed) the store under `opts.dir`. Temporaries of writes a crash interrupted are
   * removed: each store's owner holds its data dir's lock, so no other process can be writing them.
   */
  static async open(opts: ContentStoreOptions): Promise<ContentStore> {
    await privateDir(opts.dir);
    await rm(join(opts.dir, 'tmp'), { recursive: true, force: true });
    await privateDir(join(opts.dir, 'tmp'));
    return new ContentStore(opts.dir, opts.layout ?? ((algorithm, hex) => join('blobs', algorithm, hex)));
  }

  /** The store's directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Where blob `digest` is (or would be) stored; throws ImagePullError for a malformed digest. */
  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.#dir, this.#layout(algorithm, hex));
  }

  /** True when blob `digest` is stored (whole or not: see {@link verify}). */
  async has(digest: string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  /** Size of stored blob `digest`, undefined when absent. */
  async size(digest: string): Promise<number | undefined> {
    try {
      const st = await stat(this.path(digest));
      return st.isFile() ? st.size : undefined;
    } catch {
      // Absent, or a malformed digest: nothing by that name is stored.
      return undefined;
    }
  }

  /**
   * Streams `source` to a temporary file while hashing and counting it; verifies it against
   * `opts.expected` (and `opts.size`). Throws ImagePullError when it sends more than `opts.size` or does
   * not match, or whatever `opts.admit` or the source throws; whatever fails, no temporary is kept.
   */
  async write(source: ContentSource, opts: WriteOptions): Promise<StagedContent> {
    const digester = new Digester(opts.expected);
    const tmp = join(this.#dir, 'tmp', randomUUID());
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        // Leaving the loop by a throw ends the source: nothing more is read.
        for await (const chunk of chunksOf(source)) {
          opts.admit?.(chunk.byteLength, digester.size);
          digester.update(chunk);
          if (opts.size !== undefined && digester.size > opts.size)
            throw new ImagePullError(
              `${opts.what}: the registry sent more than the ${opts.size} bytes its descriptor declares; download aborted`,
            );
          for (let off = 0; off < chunk.byteLength;)
            off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (opts.expected !== undefined) digester.verify(opts.what, opts.size);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const digest = opts.expected ?? digester.digest();
    return {
      digest,
      size: digester.size,
      publish: async () => {
        const dest = this.path(digest);
        try {
          await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
          await publishDurable(tmp, dest);
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
        this.#verified.add(digest);
        return dest;
      },
      discard: () => rm(tmp, { force: true }),
    };
  }

  /** Writes and publishes `source` in one step (see {@link write}); returns the staged result's digest, size and path. */
  async put(source: ContentSource, opts: WriteOptions): Promise<{ digest: string; size: number; path: string }> {
    const staged = await this.write(source, opts);
    return { digest: staged.digest, size: staged.size, path: await staged.publish() };
  }

  /**
   * Why stored blob `digest` is not whole — `missing`, a size other than `size`, other content — or
   * undefined when it is. Content checked once by this process is trusted after, unless `recheck`.
   */
  async verify(digest: string, opts: { size?: number; recheck?: boolean } = {}): Promise<string | undefined> {
    const path = this.path(digest);
    const actualSize = await this.size(digest);
    if (actualSize === undefined) {
      this.#verified.delete(digest);
      return 'missing';
    }
    if (opts.size !== undefined && actualSize !== opts.size) return `${actualSize} bytes instead of ${opts.size}`;
    if (!opts.recheck && this.#verified.has(digest)) return undefined;
    let actual: string;
    try {
      actual = await fileDigest(path, digest);
    } catch (err) {
      // Removed since its size was read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw err;
    }
    if (actual !== digest) return `content ${actual} instead of ${digest}`;
    this.#verified.add(digest);
    return undefined;
  }

  /** Removes stored blob `digest` (if present); it is no longer trusted. */
  async remove(digest: string): Promise<void> {
    this.#verified.delete(digest);
    await rm(this.path(digest), { force: true });
  }
}

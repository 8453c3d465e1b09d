/**
 * The hub's content store: blobs (Wasm components, …) addressed by sha256, stored at
 * `<dir>/sha256/<hex>`. A put streams to a temporary file while hashing, fsyncs it and renames it
 * into place, so a blob either is complete and verified or is not there at all.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequestError, NotFoundError, RequestTooLargeError, isSha256Digest } from '../../api/index.js';

/** Default largest blob accepted: 256 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** Options of `BlobStore.create`. */
export interface BlobStoreOptions {
  dir: string;
  /** Largest blob accepted (413 beyond); default 256 MiB. */
  maxBytes?: number;
}

/** What `put` accepts: bytes or a stream of byte chunks (web or Node). */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Result of a put. */
export interface PutResult {
  digest: `sha256:${string}`;
  size: number;
  /** False when the blob was already stored. */
  created: boolean;
}

/** An opened blob. */
export interface OpenBlob {
  size: number;
  stream: ReadStream;
}

async function* chunksOf(source: BlobSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  // Web ReadableStreams are async-iterable in Node 20; the cast papers over lib typings.
  yield* source as AsyncIterable<Uint8Array>;
}

/** Content-addressed blob storage on the local disk. */
export class BlobStore {
  readonly #dir: string;
  readonly #maxBytes: number;

  private constructor(dir: string, maxBytes: number) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  /** Opens (creating if needed) the store under `dir`. */
  static async create(opts: BlobStoreOptions): Promise<BlobStore> {
    await mkdir(join(opts.dir, 'sha256'), { recursive: true });
    await mkdir(join(opts.dir, 'tmp'), { recursive: true });
    return new BlobStore(opts.dir, opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES);
  }

  /** Largest blob accepted, in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Stores `source`; throws RequestTooLargeError beyond the size limit (nothing is kept then). */
  async put(source: BlobSource): Promise<PutResult> {
    const tmp = join(this.#dir, 'tmp', randomUUID());
    const fh = await open(tmp, 'wx', 0o644);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of chunksOf(source)) {
        size += chunk.byteLength;
        if (size > this.#maxBytes) throw new RequestTooLargeError(`blob exceeds the limit of ${this.#maxBytes} bytes`);
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    const digest = `sha256:${hash.digest('hex')}` as const;
    const created = !(await this.has(digest));
    if (created) await rename(tmp, this.#path(digest));
    else await rm(tmp, { force: true });
    return { digest, size, created };
  }

  /** True when the blob is stored. */
  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.#path(digest))).isFile();
    } catch {
      return false;
    }
  }

  /** Size of a stored blob; NotFoundError if absent. */
  async size(digest: string): Promise<number> {
    const path = this.#path(digest);
    try {
      return (await stat(path)).size;
    } catch {
      throw new NotFoundError('blobs', digest);
    }
  }

  /** Opens a stored blob for reading; NotFoundError if absent. */
  async open(digest: string): Promise<OpenBlob> {
    const size = await this.size(digest);
    return { size, stream: createReadStream(this.#path(digest)) };
  }

  #path(digest: string): string {
    if (!isSha256Digest(digest)) throw new BadRequestError(`invalid digest "${digest}": expected sha256:<64 lower-case hex digits>`);
    return join(this.#dir, 'sha256', digest.slice('sha256:'.length));
  }
}

/**
 * Blobs on disk by digest (`<dir>/blobs/<algorithm>/<hex>`), as an OCI image layout keeps them. A
 * blob is streamed to a temporary file while its digest is computed — and cut off as soon as more
 * bytes arrive than its descriptor declares — then flushed and renamed into place once verified, and
 * the directory flushed (src/durable's discipline: a power cut leaves no torn blob under its name).
 * A present blob is verified again before it is used for an unpack, and one found torn is fetched
 * anew. Concurrent fetches of one digest share a single download. The store's directories are 0700.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ImagePullError, errorMessage } from '../api/index.js';
import type { Logger } from '../api/index.js';
import { fsyncDir } from '../durable/index.js';
import { Digester, parseDigest } from './digest.js';
import type { Descriptor } from './manifest.js';
import { privateDir } from './private-dir.js';

/** Default largest blob accepted (a descriptor declaring more is refused before any download). */
export const DEFAULT_MAX_BLOB_BYTES = 8 * 1024 ** 3;

/** Options of {@link ContentStore.open}. */
export interface ContentStoreOptions {
  logger?: Logger;
  /** Largest blob accepted (default {@link DEFAULT_MAX_BLOB_BYTES}). */
  maxBlobBytes?: number;
}

/** The verified-blob store. */
export class ContentStore {
  readonly #inflight = new Map<string, Promise<string>>();

  private constructor(
    private readonly dir: string,
    private readonly opts: ContentStoreOptions,
  ) {}

  static async open(dir: string, opts: ContentStoreOptions = {}): Promise<ContentStore> {
    await privateDir(dir);
    // Leftovers of an interrupted download are never valid blobs.
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await privateDir(join(dir, 'tmp'));
    return new ContentStore(dir, opts);
  }

  /** Where blob `digest` is (or would be) stored; throws ImagePullError for a malformed digest. */
  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, hex);
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Ensures `desc` is stored and whole, streaming it from `open()` when it is absent or found torn
   * (its content no longer hashes to its digest); returns its path.
   */
  async ensure(desc: Descriptor, open: () => Promise<AsyncIterable<Uint8Array>>, what: string): Promise<string> {
    const dest = this.path(desc.digest);
    let pending = this.#inflight.get(desc.digest);
    if (!pending) {
      pending = (async () => {
        if (await this.has(desc.digest)) {
          if (await this.#intact(desc, dest)) return dest;
          this.opts.logger?.warn(
            { blob: desc.digest, what },
            'stored blob is torn (digest mismatch): fetching it again',
          );
          await rm(dest, { force: true });
        }
        return this.#download(desc, dest, open, what);
      })().finally(() => this.#inflight.delete(desc.digest));
      this.#inflight.set(desc.digest, pending);
    }
    return pending;
  }

  /** Stores `bytes` after verifying them against `digest`. */
  async put(digest: string, bytes: Uint8Array, what: string): Promise<void> {
    const d = new Digester(digest);
    d.update(bytes);
    d.verify(what);
    const dest = this.path(digest);
    const tmp = join(this.dir, 'tmp', randomUUID());
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.#publish(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** A stored blob's bytes, verified; a torn one is removed and reported as an ImagePullError. */
  async read(digest: string): Promise<Buffer> {
    const path = this.path(digest);
    const bytes = await readFile(path);
    const d = new Digester(digest);
    d.update(bytes);
    try {
      d.verify(`stored blob ${digest}`);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return bytes;
  }

  async #intact(desc: Descriptor, path: string): Promise<boolean> {
    const d = new Digester(desc.digest);
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) d.update(chunk);
    try {
      d.verify('stored blob', desc.size);
      return true;
    } catch {
      return false;
    }
  }

  async #publish(tmp: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
    await rename(tmp, dest);
    await fsyncDir(dirname(dest));
  }

  async #download(
    desc: Descriptor,
    dest: string,
    openSource: () => Promise<AsyncIterable<Uint8Array>>,
    what: string,
  ): Promise<string> {
    const max = this.opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    if (desc.size > max)
      throw new ImagePullError(
        `${what}: its descriptor declares ${desc.size} bytes, more than the ${max} this node accepts`,
      );
    const tmp = join(this.dir, 'tmp', randomUUID());
    const digester = new Digester(desc.digest);
    try {
      const source = await openSource();
      const fh = await open(tmp, 'w', 0o600);
      try {
        // Leaving the loop by a throw destroys the response: nothing more is read.
        for await (const chunk of source) {
          digester.update(chunk);
          if (digester.size > desc.size)
            throw new ImagePullError(
              `${what}: the registry sent more than the ${desc.size} bytes its descriptor declares; download aborted`,
            );
          for (let off = 0; off < chunk.byteLength;)
            off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      digester.verify(what, desc.size);
      await this.#publish(tmp, dest);
      return dest;
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`${what}: download failed: ${errorMessage(err)}`, err);
    }
  }
}

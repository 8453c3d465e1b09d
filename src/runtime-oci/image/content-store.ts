/**
 * Blobs on disk by digest (`<dir>/blobs/<algorithm>/<hex>`), as an OCI image layout keeps them. A
 * blob is written to a temporary file while its digest is computed and renamed into place only once
 * verified, so a present blob is always a whole, verified one. Concurrent fetches of one digest share
 * a single download.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImagePullError, errorMessage } from '../../api/index.js';
import { Digester, parseDigest } from './digest.js';
import type { Descriptor } from './manifest.js';

/** The verified-blob store. */
export class ContentStore {
  readonly #inflight = new Map<string, Promise<string>>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<ContentStore> {
    await mkdir(join(dir, 'tmp'), { recursive: true });
    // Leftovers of an interrupted download are never valid blobs.
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    return new ContentStore(dir);
  }

  /** Where blob `digest` is (or would be) stored. */
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

  /** Ensures `desc` is stored, streaming it from `open()` when it is not; returns its path. */
  async ensure(desc: Descriptor, open: () => Promise<AsyncIterable<Uint8Array>>, what: string): Promise<string> {
    const dest = this.path(desc.digest);
    if (await this.has(desc.digest)) return dest;
    let pending = this.#inflight.get(desc.digest);
    if (!pending) {
      pending = this.#download(desc, dest, open, what).finally(() => this.#inflight.delete(desc.digest));
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
    await mkdir(join(dest, '..'), { recursive: true });
    const tmp = join(this.dir, 'tmp', randomUUID());
    await writeFile(tmp, bytes);
    await rename(tmp, dest);
  }

  async read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  async #download(desc: Descriptor, dest: string, open: () => Promise<AsyncIterable<Uint8Array>>, what: string): Promise<string> {
    const tmp = join(this.dir, 'tmp', randomUUID());
    const digester = new Digester(desc.digest);
    try {
      const source = await open();
      await mkdir(join(dest, '..'), { recursive: true });
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            digester.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      digester.verify(what, desc.size);
      await rename(tmp, dest);
      return dest;
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`${what}: download failed: ${errorMessage(err)}`, err);
    }
  }
}

/**
 * runc's blobs by digest (`<dir>/blobs/<algorithm>/<hex>`, as an OCI image layout keeps them), kept in
 * src/distribution's content store. This file is the cache's policy: a blob is streamed to the store and
 * cut off as soon as more bytes arrive than its descriptor declares, a descriptor declaring more than the
 * node accepts is refused before any download, a present blob is verified again before it is used for an
 * unpack (and one found torn is fetched anew), and concurrent fetches of one digest share one download.
 * The store's directories are 0700.
 */
import { readFile } from 'node:fs/promises';
import { ImagePullError, errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { ContentStore, verifyBytes, type Descriptor } from '../../distribution/index.js';

/** Default largest blob accepted (a descriptor declaring more is refused before any download). */
export const DEFAULT_MAX_BLOB_BYTES = 8 * 1024 ** 3;

/** Options of {@link BlobCache.open}. */
export interface BlobCacheOptions {
  logger?: Logger;
  /** Largest blob accepted (default {@link DEFAULT_MAX_BLOB_BYTES}). */
  maxBlobBytes?: number;
}

/** The verified-blob cache of the runc adapter's image store. */
export class BlobCache {
  readonly #inflight = new Map<string, Promise<string>>();

  private constructor(
    private readonly content: ContentStore,
    private readonly opts: BlobCacheOptions,
  ) {}

  static async open(dir: string, opts: BlobCacheOptions = {}): Promise<BlobCache> {
    return new BlobCache(await ContentStore.open({ dir }), opts);
  }

  /** Where blob `digest` is (or would be) stored; throws ImagePullError for a malformed digest. */
  path(digest: string): string {
    return this.content.path(digest);
  }

  async has(digest: string): Promise<boolean> {
    return this.content.has(digest);
  }

  /**
   * Ensures `desc` is stored and whole, streaming it from `open()` when it is absent or found torn
   * (its content no longer hashes to its digest); returns its path.
   */
  async ensure(desc: Descriptor, open: () => Promise<AsyncIterable<Uint8Array>>, what: string): Promise<string> {
    let pending = this.#inflight.get(desc.digest);
    if (!pending) {
      pending = (async () => {
        const size = desc.size >= 0 ? desc.size : undefined;
        const problem = await this.content.verify(desc.digest, {
          ...(size !== undefined ? { size } : {}),
          recheck: true,
        });
        if (problem === undefined) return this.content.path(desc.digest);
        if (problem !== 'missing') {
          this.opts.logger?.warn(
            { blob: desc.digest, what },
            'stored blob is torn (digest mismatch): fetching it again',
          );
          await this.content.remove(desc.digest);
        }
        return this.#download(desc, open, what);
      })().finally(() => this.#inflight.delete(desc.digest));
      this.#inflight.set(desc.digest, pending);
    }
    return pending;
  }

  /** Stores `bytes` after verifying them against `digest`. */
  async put(digest: string, bytes: Uint8Array, what: string): Promise<void> {
    await this.content.put(bytes, { expected: digest, what });
  }

  /** A stored blob's bytes, verified; a torn one is removed and reported as an ImagePullError. */
  async read(digest: string): Promise<Buffer> {
    const bytes = await readFile(this.content.path(digest));
    try {
      verifyBytes(bytes, digest, `stored blob ${digest}`);
    } catch (err) {
      await this.content.remove(digest);
      throw err;
    }
    return bytes;
  }

  async #download(
    desc: Descriptor,
    openSource: () => Promise<AsyncIterable<Uint8Array>>,
    what: string,
  ): Promise<string> {
    const max = this.opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    if (desc.size > max)
      throw new ImagePullError(
        `${what}: its descriptor declares ${desc.size} bytes, more than the ${max} this node accepts`,
      );
    try {
      const source = await openSource();
      const staged = await this.content.write(source, { expected: desc.digest, size: desc.size, what });
      return await staged.publish();
    } catch (err) {
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`${what}: download failed: ${errorMessage(err)}`, err);
    }
  }
}

/**
 * The hub's content store: blobs (Wasm components, …) addressed by sha256, stored at
 * `<dir>/sha256/<hex>` in src/distribution's content store, which streams a put to a temporary file under
 * `<dir>/tmp` while hashing and counting, flushes it and publishes it by rename with the directory
 * flushed too (src/durable), so after a crash or a power cut a blob is either complete and verified or
 * not there at all. This file is the hub's policy on top of it.
 *
 * What bounds it: a per-upload size (413 while the body streams, not after), a quota on the whole store
 * (507 while streaming: stored bytes plus uploads in flight may not pass it), and removal of what is
 * no longer needed — a failed or aborted upload's temporary at once, stale temporaries at start, and
 * unreferenced blobs by `collect()` (see BlobGarbageCollector). A blob's encoded copies (the brotli form
 * served to poor links, `encoded-copies.ts`) go with it, and copies whose blob is gone are swept at start.
 *
 * With several hubs (issue 19) the store may have peers (`attachPeers`, see BlobPeers): an upload is
 * pushed to the other live hubs before it is acknowledged, and a blob asked for but not here is pulled
 * from a peer (its digest verified) before it is served, so any hub can serve any component.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BadRequestError, NotFoundError, RequestTooLargeError, isSha256Digest } from '../../api/index.js';
import { ContentStore, type StagedContent } from '../../distribution/index.js';
import { fsyncDir } from '../../durable/index.js';
import {
  BlobQuotaExceededError,
  DEFAULT_BLOB_STORE_MAX_BYTES,
  DEFAULT_MAX_BLOB_BYTES,
  human,
  type BlobPeerSource,
  type BlobSource,
  type BlobStoreOptions,
  type OpenBlob,
  type PutResult,
  type StoredBlob,
} from './blob-types.js';
import { EncodedCopies } from './encoded-copies.js';
import { KeyedLock } from './keyed-lock.js';

/** Content-addressed blob storage on the local disk. */
export class BlobStore {
  readonly #content: ContentStore;
  readonly #maxBytes: number;
  readonly #quotaBytes: number;
  /** hex → size of every stored blob (and of one being published); the source of `usedBytes`. */
  readonly #sizes: Map<string, number>;
  #stored: number;
  /** Bytes received by uploads not yet published: they count against the quota too. */
  #inFlight = 0;
  /** Per-digest serialization of publication and collection. */
  readonly #locks = new KeyedLock();
  #peers: BlobPeerSource | undefined;
  /** The blobs' encoded copies, removed with their blob. */
  readonly #copies: EncodedCopies;

  private constructor(
    content: ContentStore,
    copies: EncodedCopies,
    maxBytes: number,
    quotaBytes: number,
    sizes: Map<string, number>,
  ) {
    this.#content = content;
    this.#copies = copies;
    this.#maxBytes = maxBytes;
    this.#quotaBytes = quotaBytes;
    this.#sizes = sizes;
    this.#stored = [...sizes.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * Opens (creating if needed) the store under `dir`. Temporaries of uploads a crash interrupted are
   * removed: the hub holds its data dir's lock, so no other process can be writing them.
   */
  static async create(opts: BlobStoreOptions): Promise<BlobStore> {
    const content = await ContentStore.open({ dir: opts.dir, layout: (algorithm, hex) => join(algorithm, hex) });
    const blobsDir = join(opts.dir, 'sha256');
    await mkdir(blobsDir, { recursive: true, mode: 0o700 });
    const sizes = new Map<string, number>();
    for (const name of await readdir(blobsDir)) {
      // Anything not named by a digest is not ours to serve; leave it (and do not count it).
      if (!isSha256Digest(`sha256:${name}`)) continue;
      const st = await stat(join(blobsDir, name)).catch(() => undefined);
      if (st?.isFile()) sizes.set(name, st.size);
    }
    // Copies of blobs an older version collected without them, and temporaries of a crash.
    const copies = new EncodedCopies(opts.encodedDir ?? `${resolve(opts.dir)}-encoded`);
    await copies.sweep((hex) => sizes.has(hex), { temporaries: true });
    return new BlobStore(
      content,
      copies,
      opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES,
      opts.quotaBytes ?? DEFAULT_BLOB_STORE_MAX_BYTES,
      sizes,
    );
  }

  /** Directory of the blobs' encoded copies (where `BlobEncodings` keeps them). */
  get encodedDir(): string {
    return this.#copies.dir;
  }

  /** Replicates through `peers` from now on (a hub of several, on etcd with TLS). */
  attachPeers(peers: BlobPeerSource): void {
    this.#peers = peers;
  }

  /** Largest blob accepted, in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Total bytes the store may hold. */
  get quotaBytes(): number {
    return this.#quotaBytes;
  }

  /** Bytes held by stored blobs plus uploads in flight. */
  get usedBytes(): number {
    return this.#stored + this.#inFlight;
  }

  /** Throws BlobQuotaExceededError if `more` bytes would not fit (`upload`: bytes this upload already holds). */
  checkRoom(more: number, upload = 0): void {
    if (this.usedBytes + more <= this.#quotaBytes) return;
    const others = this.#inFlight - upload;
    throw new BlobQuotaExceededError(
      `content store full: this upload (${human(upload + more)} so far) would pass its quota of ${human(this.#quotaBytes)} (--blob-store-max-bytes; ${human(this.#stored)} stored${others > 0 ? `, ${human(others)} in other uploads` : ''}). ` +
        'Delete workloads whose images are no longer needed (unreferenced blobs are collected) or raise the quota',
    );
  }

  /**
   * Stores `source`. Throws RequestTooLargeError past the per-blob limit and BlobQuotaExceededError
   * past the store's quota, as soon as the stream passes them; with `expectedDigest`, BadRequestError
   * when the content does not match it. Whatever fails, no temporary file is kept. Unless `replica` (a
   * peer hub's push), the blob is then pushed to the live peers, so once acknowledged it survives the
   * loss of this hub.
   */
  async put(source: BlobSource, opts: { expectedDigest?: string; replica?: boolean } = {}): Promise<PutResult> {
    if (opts.expectedDigest !== undefined && !isSha256Digest(opts.expectedDigest))
      throw new BadRequestError(`invalid digest "${opts.expectedDigest}": expected sha256:<64 lower-case hex digits>`);
    let received = 0;
    let staged: StagedContent;
    try {
      staged = await this.#content.write(source, {
        what: 'blob',
        admit: (chunkBytes, soFar) => {
          if (soFar + chunkBytes > this.#maxBytes)
            throw new RequestTooLargeError(`blob exceeds the limit of ${this.#maxBytes} bytes per upload`);
          this.checkRoom(chunkBytes, soFar);
          received += chunkBytes;
          this.#inFlight += chunkBytes;
        },
      });
    } catch (err) {
      this.#inFlight -= received;
      throw err;
    }
    const digest = staged.digest as `sha256:${string}`;
    const size = staged.size;
    this.#inFlight -= size;
    if (opts.expectedDigest !== undefined && opts.expectedDigest !== digest) {
      await staged.discard();
      throw new BadRequestError(
        `blob content does not match its digest: expected ${opts.expectedDigest}, got ${digest}`,
      );
    }
    const hex = digest.slice('sha256:'.length);
    let created = false;
    try {
      // Serialized with collect() per digest, so a blob being collected and uploaded again at the same
      // time ends up stored, never removed after its upload was acknowledged.
      await this.#locks.run(hex, async () => {
        if (!this.#sizes.has(hex)) {
          this.checkRoom(size);
          await staged.publish();
          this.#sizes.set(hex, size);
          this.#stored += size;
          created = true;
        } else {
          await staged.discard();
          // A fresh upload restarts the blob's grace period: `edgectl apply` uploads, then writes the
          // object that references it, and the collector must not take the blob in between.
          const t = new Date();
          await utimes(this.#path(digest), t, t);
        }
      });
    } catch (err) {
      await staged.discard();
      throw err;
    }
    // Also when it was already here: it may have been stored while a peer was down.
    if (opts.replica !== true) await this.#peers?.push(digest);
    return { digest, size, created };
  }

  /** True when the blob is stored. */
  async has(digest: string): Promise<boolean> {
    return isSha256Digest(digest) && this.#content.has(digest);
  }

  /**
   * Size of a stored blob; NotFoundError if absent here and (unless `local`) on every live peer. A blob
   * found on a peer is stored here first.
   */
  async size(digest: string, opts: { local?: boolean } = {}): Promise<number> {
    if (opts.local !== true) await this.#pullIfMissing(digest);
    return this.#localSize(digest);
  }

  async #pullIfMissing(digest: string): Promise<void> {
    if (this.#peers === undefined || !isSha256Digest(digest) || this.#sizes.has(digest.slice('sha256:'.length))) return;
    await this.#peers.pull(digest);
  }

  async #localSize(digest: string): Promise<number> {
    const path = this.#path(digest);
    try {
      return (await stat(path)).size;
    } catch {
      throw new NotFoundError('blobs', digest);
    }
  }

  /**
   * Opens a stored blob for reading; NotFoundError if absent. The first read of a blob this process did
   * not store itself checks its content against its digest: a blob torn by a power cut on a disk that
   * ignored its flush is removed (and reported missing, so the client uploads it again) instead of being
   * served to every node that asks. Unless `local`, a blob missing here is pulled from a peer first.
   */
  async open(digest: string, opts: { local?: boolean } = {}): Promise<OpenBlob> {
    const size = await this.size(digest, opts);
    const hex = digest.slice('sha256:'.length);
    const problem = await this.#content.verify(digest);
    // Collected since the size was read.
    if (problem === 'missing') throw new NotFoundError('blobs', digest);
    if (problem !== undefined) {
      await this.#locks.run(hex, async () => {
        await this.#content.remove(digest);
        await this.#copies.remove(hex);
        if (this.#sizes.delete(hex)) this.#stored -= size;
      });
      throw new NotFoundError(
        'blobs',
        digest,
        `blob ${digest} was damaged on the hub's disk and has been removed; upload it again (edgectl apply does)`,
      );
    }
    return { size, stream: createReadStream(this.#path(digest)) };
  }

  /** Every stored blob with its size and last upload time. */
  async list(): Promise<StoredBlob[]> {
    const out: StoredBlob[] = [];
    for (const [hex, size] of this.#sizes) {
      const st = await stat(this.#path(`sha256:${hex}`)).catch(() => undefined);
      if (st) out.push({ digest: `sha256:${hex}`, size, uploadedMs: st.mtimeMs });
    }
    return out;
  }

  /**
   * Deletes the blobs not in `keep` whose last upload is older than `uploadedBeforeMs`, with their
   * encoded copies, and copies whose blob is gone; returns the blobs deleted. A reader that already opened one keeps reading it (the file lives on until closed).
   */
  async collect(keep: ReadonlySet<string>, uploadedBeforeMs: number): Promise<StoredBlob[]> {
    const removed: StoredBlob[] = [];
    for (const b of await this.list()) {
      if (keep.has(b.digest) || b.uploadedMs >= uploadedBeforeMs) continue;
      const hex = b.digest.slice('sha256:'.length);
      await this.#locks.run(hex, async () => {
        // Looked at again under the digest's lock: an upload may have renewed it since the list.
        const st = await stat(this.#path(b.digest)).catch(() => undefined);
        if (!st || st.mtimeMs >= uploadedBeforeMs) return;
        await this.#content.remove(b.digest);
        await this.#copies.remove(hex);
        if (this.#sizes.delete(hex)) this.#stored -= b.size;
        removed.push(b);
      });
    }
    if (removed.length > 0) await fsyncDir(join(this.#content.dir, 'sha256'));
    // Level-triggered: a copy finished while its blob was being removed goes at the next collection.
    await this.#copies.sweep((hex) => this.#sizes.has(hex), { temporaries: false });
    return removed;
  }

  #path(digest: string): string {
    if (!isSha256Digest(digest))
      throw new BadRequestError(`invalid digest "${digest}": expected sha256:<64 lower-case hex digits>`);
    return this.#content.path(digest);
  }
}

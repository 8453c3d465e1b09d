/**
 * Wasm images on local disk: `<dir>/sha256/<hex>.wasm`, fetched by digest, verified, written to a
 * temporary file and renamed into place. A digest already on disk is never fetched again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImagePullError, errorMessage, parseHubImageRef, type Logger } from '../api/index.js';
import type { PullOptions, PulledImage } from '../api/index.js';

export type FetchBlob = (digest: string) => Promise<Uint8Array>;

export class ImageStore {
  readonly #dir: string;
  readonly #fetchBlob: FetchBlob;
  readonly #logger: Logger;
  /** Refs pulled by this process, by digest (plus every digest found on disk). */
  readonly #refs = new Map<string, Set<string>>();
  readonly #inflight = new Map<string, Promise<number>>();

  private constructor(dir: string, fetchBlob: FetchBlob, logger: Logger) {
    this.#dir = dir;
    this.#fetchBlob = fetchBlob;
    this.#logger = logger;
  }

  /** Opens the store under `dir` (created if missing) and indexes what is already cached. */
  static async open(dir: string, fetchBlob: FetchBlob, logger: Logger): Promise<ImageStore> {
    const store = new ImageStore(dir, fetchBlob, logger);
    await mkdir(join(dir, 'sha256'), { recursive: true });
    for (const file of await readdir(join(dir, 'sha256'))) {
      const m = /^([0-9a-f]{64})\.wasm$/.exec(file);
      if (m) store.#refs.set(`sha256:${m[1]}`, new Set());
    }
    return store;
  }

  /** Local path of a cached digest. */
  pathOf(digest: string): string {
    return join(this.#dir, 'sha256', `${digest.replace(/^sha256:/, '')}.wasm`);
  }

  /** Pulls `ref` (a hub reference `edgeplane.hub/<name>@sha256:<hex>`); see Runtime#pullImage. */
  async pull(ref: string, opts: PullOptions = {}): Promise<PulledImage> {
    const hub = parseHubImageRef(ref);
    if (!hub) {
      throw new ImagePullError(
        `cannot pull "${ref}": the wasm runtime pulls hub references (edgeplane.hub/<name>@sha256:<64 hex>) only; ` +
          'OCI registry pulls are not supported yet',
      );
    }
    const { digest } = hub;
    let pending = this.#inflight.get(digest);
    if (!pending) {
      pending = this.#ensure(digest, opts.signal).finally(() => this.#inflight.delete(digest));
      this.#inflight.set(digest, pending);
    }
    const sizeBytes = await pending;
    const refs = this.#refs.get(digest) ?? new Set<string>();
    refs.add(ref);
    this.#refs.set(digest, refs);
    return { ref, digest, sizeBytes };
  }

  /** Refs and digests present locally. */
  list(): string[] {
    const out: string[] = [];
    for (const [digest, refs] of this.#refs) out.push(...refs, digest);
    return out;
  }

  async #ensure(digest: string, signal: AbortSignal | undefined): Promise<number> {
    const path = this.pathOf(digest);
    if (existsSync(path)) return (await stat(path)).size;
    if (signal?.aborted) throw new ImagePullError(`pull of ${digest} aborted`);
    let bytes: Uint8Array;
    try {
      bytes = await this.#fetchBlob(digest);
    } catch (err) {
      throw new ImagePullError(`cannot fetch ${digest}: ${errorMessage(err)}`, err);
    }
    if (signal?.aborted) throw new ImagePullError(`pull of ${digest} aborted`);
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) {
      throw new ImagePullError(`digest mismatch: expected ${digest}, got ${actual} (${bytes.byteLength} bytes)`);
    }
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new ImagePullError(`cannot store ${digest}: ${errorMessage(err)}`, err);
    }
    this.#logger.info({ digest, bytes: bytes.byteLength }, 'pulled wasm image');
    return bytes.byteLength;
  }
}

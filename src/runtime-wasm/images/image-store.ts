/**
 * Wasm images on local disk: `<dir>/sha256/<hex>.wasm`, kept in src/distribution's content store
 * (verified, written to a temporary file, flushed and renamed into place: a power cut leaves no torn
 * file). A file found on disk is checked against its digest the first time this process uses it; a
 * torn one is removed and fetched again (logged). A digest already on disk is never fetched again,
 * whichever way it came:
 *
 * - hub references (`edgeplane.hub/<name>@sha256:<hex>`): the blob is fetched from the hub by digest;
 * - OCI registry references (`registry/repo:tag`, `registry/repo@sha256:…`): a Wasm component
 *   published as a CNCF Wasm OCI artifact, pulled with the node's registry client (src/distribution) (token
 *   or basic auth, digests verified). The pull policy is the OCI runtime's, Kubernetes' default: a
 *   digest-pinned reference, or a tag other than `latest`, already present is not resolved again;
 *   `latest` is resolved on every pull (and its component fetched only when it changed). What each
 *   reference resolved to is kept in `refs.json` (see registry-refs.ts). A pod's `imagePullSecrets`
 *   are tried before the node's credentials (pull-credentials.ts); as in Kubernetes, a component
 *   already present serves any pod that names it.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HUB_IMAGE_HOST, ImagePullError, errorMessage, parseHubImageRef, type Logger } from '../../api/index.js';
import type { PullOptions, PulledImage } from '../../api/index.js';
import {
  ContentStore,
  RegistryClient,
  fetchWasmComponent,
  formatReference,
  parseImageReference,
  resolveWasmArtifact,
  sha256Digest,
  type RegistryAuth,
} from '../../distribution/index.js';
import { pullAttempts, withPullAttempts } from './pull-credentials.js';
import { RegistryRefs, type RegistryImage } from './registry-refs.js';

export type FetchBlob = (digest: string) => Promise<Uint8Array>;

/** Options of {@link ImageStore.open}. */
export interface ImageStoreOptions {
  /**
   * The node's registry client (credentials, insecure registries). Default: anonymous, plain HTTP
   * for loopback registries only.
   */
  registry?: RegistryClient;
}

// A digest names a file in the cache: nothing but this shape may reach join().
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The Wasm runtime's component cache. Open with {@link ImageStore.open}. */
export class ImageStore {
  readonly #content: ContentStore;
  readonly #fetchBlob: FetchBlob;
  readonly #logger: Logger;
  readonly #registry: RegistryClient;
  readonly #refs: RegistryRefs;
  /** Components on disk, by digest. */
  readonly #present = new Set<string>();
  /** Hub references pulled by this process, by digest. */
  readonly #hubRefs = new Map<string, Set<string>>();
  /** Downloads in progress, by component digest. */
  readonly #inflight = new Map<string, Promise<number>>();
  /** Registry resolutions in progress, by canonical reference. */
  readonly #resolving = new Map<string, Promise<RegistryImage>>();

  private constructor(
    content: ContentStore,
    fetchBlob: FetchBlob,
    logger: Logger,
    registry: RegistryClient,
    refs: RegistryRefs,
  ) {
    this.#content = content;
    this.#fetchBlob = fetchBlob;
    this.#logger = logger;
    this.#registry = registry;
    this.#refs = refs;
  }

  /** Opens the store under `dir` (created if missing) and indexes what is already cached. */
  static async open(
    dir: string,
    fetchBlob: FetchBlob,
    logger: Logger,
    opts: ImageStoreOptions = {},
  ): Promise<ImageStore> {
    const content = await ContentStore.open({ dir, layout: (algorithm, hex) => join(algorithm, `${hex}.wasm`) });
    await mkdir(join(dir, 'sha256'), { recursive: true });
    const refs = await RegistryRefs.load(join(dir, 'refs.json'), logger);
    const store = new ImageStore(content, fetchBlob, logger, opts.registry ?? new RegistryClient(), refs);
    for (const file of await readdir(join(dir, 'sha256'))) {
      const m = /^([0-9a-f]{64})\.wasm$/.exec(file);
      if (m) store.#present.add(`sha256:${m[1]}`);
      // Leftovers of a download interrupted by an earlier version (it wrote temporaries beside the
      // components; the content store keeps them under <dir>/tmp, cleared when it opens).
      else if (file.includes('.tmp-')) await rm(join(dir, 'sha256', file), { force: true });
    }
    return store;
  }

  /** Local path of a cached digest; refuses anything but `sha256:<64 hex>` before it names a file. */
  pathOf(digest: string): string {
    if (!SHA256_DIGEST.test(digest))
      throw new ImagePullError(
        `malformed component digest "${digest.slice(0, 80)}": expected sha256:<64 lowercase hex>`,
      );
    return this.#content.path(digest);
  }

  /**
   * Pulls `ref`: a hub reference (`edgeplane.hub/<name>@sha256:<hex>`) or an OCI registry reference
   * to a Wasm component artifact; see Runtime#pullImage. Throws ImagePullError saying what is wrong.
   */
  async pull(ref: string, opts: PullOptions = {}): Promise<PulledImage> {
    const hub = parseHubImageRef(ref);
    if (!hub) return this.#pullFromRegistry(ref, opts);
    const { digest } = hub;
    const sizeBytes = await this.#ensure(digest, () => this.#fetchFromHub(digest), opts.signal);
    const refs = this.#hubRefs.get(digest) ?? new Set<string>();
    refs.add(ref);
    this.#hubRefs.set(digest, refs);
    return { ref, digest, sizeBytes };
  }

  /**
   * The path of component `digest` when it is here and whole (checked against its digest once per
   * process), else undefined: what this node may serve its zone's peers (issue 20). A malformed digest
   * is simply not held.
   */
  async heldPath(digest: string): Promise<string | undefined> {
    if (!SHA256_DIGEST.test(digest) || !this.#present.has(digest)) return undefined;
    return (await this.#intact(digest)) ? this.pathOf(digest) : undefined;
  }

  /** References and digests present locally (what the scheduler's image locality compares). */
  list(): string[] {
    const out = new Set<string>();
    for (const [digest, refs] of this.#hubRefs) if (this.#present.has(digest)) for (const r of refs) out.add(r);
    for (const [ref, image] of this.#refs.entries()) if (this.#present.has(image.digest)) out.add(ref);
    for (const digest of this.#present) out.add(digest);
    return [...out];
  }

  async #pullFromRegistry(ref: string, opts: PullOptions): Promise<PulledImage> {
    const { signal } = opts;
    const reference = parseImageReference(ref);
    if (reference.registry === HUB_IMAGE_HOST) {
      throw new ImagePullError(
        `cannot pull "${ref}": images of the hub's content store are pinned by digest (${HUB_IMAGE_HOST}/<name>@sha256:<64 hex>)`,
      );
    }
    const canonical = formatReference(reference);
    const known =
      reference.digest !== undefined
        ? this.#refs.byManifest(reference.digest)
        : reference.tag !== 'latest'
          ? this.#refs.byRef(canonical)
          : undefined;
    if (known && (await this.#intact(known.digest))) {
      await this.#record([canonical, ref], known);
      return { ref, digest: known.digest, sizeBytes: known.sizeBytes };
    }
    // Pulls in flight are shared only between pulls with the same credentials: a pod without the
    // pull secret must not ride on another pod's authorised pull.
    const image = await withPullAttempts(
      pullAttempts(reference.registry, opts.pullSecrets),
      (attempt) => {
        const key = `${canonical} ${attempt.key}`;
        let pending = this.#resolving.get(key);
        if (!pending) {
          pending = this.#resolveAndFetch(canonical, attempt.auth, signal).finally(() => this.#resolving.delete(key));
          this.#resolving.set(key, pending);
        }
        return pending;
      },
      signal,
    );
    // Both spellings: the scheduler's image locality compares the pod spec's.
    await this.#record([canonical, ref], image);
    return { ref, digest: image.digest, sizeBytes: image.sizeBytes };
  }

  async #resolveAndFetch(
    canonical: string,
    auth: RegistryAuth | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RegistryImage> {
    const started = Date.now();
    const opts = { client: this.#registry, ...(auth ? { auth } : {}), ...(signal ? { signal } : {}) };
    const artifact = await resolveWasmArtifact(canonical, opts);
    // The store keys components by sha256; a layer of another digest algorithm is keyed once fetched.
    let digest =
      this.#refs.byManifest(artifact.manifestDigest)?.digest ??
      (artifact.layer.digest.startsWith('sha256:') ? artifact.layer.digest : undefined);
    let sizeBytes: number;
    if (digest !== undefined) {
      sizeBytes = await this.#ensure(digest, () => fetchWasmComponent(artifact, opts), signal);
    } else {
      const bytes = await fetchWasmComponent(artifact, opts);
      digest = sha256Digest(bytes);
      sizeBytes = await this.#ensure(digest, () => Promise.resolve(bytes), signal);
    }
    this.#logger.info(
      { image: canonical, manifest: artifact.manifestDigest, digest, ms: Date.now() - started },
      'resolved wasm image from registry',
    );
    return { manifest: artifact.manifestDigest, digest, sizeBytes };
  }

  async #record(refs: string[], image: RegistryImage): Promise<void> {
    try {
      await this.#refs.record([...new Set(refs)], image);
    } catch (err) {
      // The component is here and verified; only the index of references could not be saved.
      this.#logger.warn({ refs, err: errorMessage(err) }, 'cannot save the registry reference index');
    }
  }

  async #fetchFromHub(digest: string): Promise<Uint8Array> {
    try {
      return await this.#fetchBlob(digest);
    } catch (err) {
      throw new ImagePullError(`cannot fetch ${digest}: ${errorMessage(err)}`, err);
    }
  }

  /** Makes sure component `digest` is on disk, fetching it (once, whoever asks) when it is not. */
  #ensure(digest: string, fetch: () => Promise<Uint8Array>, signal: AbortSignal | undefined): Promise<number> {
    let pending = this.#inflight.get(digest);
    if (!pending) {
      pending = this.#store(digest, fetch, signal).finally(() => this.#inflight.delete(digest));
      this.#inflight.set(digest, pending);
    }
    return pending;
  }

  /**
   * Whether component `digest` is on disk and whole: checked against its digest once per process;
   * a torn file (truncated, other content) is removed, to be fetched again.
   */
  async #intact(digest: string): Promise<boolean> {
    // Refuses anything but sha256 (the content store would take sha512 too) before it names a file.
    this.pathOf(digest);
    const problem = await this.#content.verify(digest).catch((err: unknown) => `unreadable (${errorMessage(err)})`);
    if (problem === 'missing') {
      this.#present.delete(digest);
      return false;
    }
    if (problem !== undefined) {
      this.#logger.warn(
        { digest, path: this.pathOf(digest), found: problem },
        'cached wasm image found torn; removing it and fetching it again',
      );
      this.#present.delete(digest);
      await this.#content.remove(digest);
      return false;
    }
    this.#present.add(digest);
    return true;
  }

  async #store(digest: string, fetch: () => Promise<Uint8Array>, signal: AbortSignal | undefined): Promise<number> {
    if (await this.#intact(digest)) {
      const size = await this.#content.size(digest);
      if (size !== undefined) return size;
    }
    if (signal?.aborted) throw new ImagePullError(`pull of ${digest} aborted`);
    const bytes = await fetch();
    if (signal?.aborted) throw new ImagePullError(`pull of ${digest} aborted`);
    try {
      const staged = await this.#content.write(bytes, { what: `component ${digest}` });
      if (staged.digest !== digest) {
        await staged.discard();
        throw new ImagePullError(
          `digest mismatch: expected ${digest}, got ${staged.digest} (${bytes.byteLength} bytes)`,
        );
      }
      await staged.publish();
    } catch (err) {
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`cannot store ${digest}: ${errorMessage(err)}`, err);
    }
    this.#present.add(digest);
    this.#logger.info({ digest, bytes: bytes.byteLength }, 'pulled wasm image');
    return bytes.byteLength;
  }
}

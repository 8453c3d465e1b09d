/**
 * Images of the daemonless (runc) adapter: pulled through the distribution API, resolved to the
 * node's platform, every blob verified, layers unpacked into snapshots at pull time (so creating a
 * container is only a mount). What is present is recorded in `images.json`, so a restarted agent
 * knows its images. Pull policy as Kubernetes defaults it: a digest-pinned image or one with a tag
 * other than `latest` is not fetched again once present.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImagePullError, errorMessage } from '../../api/index.js';
import type { Logger, PulledImage } from '../../api/index.js';
import type { Platform, PullOpts } from '../adapter.js';
import { Snapshotter } from '../unpack/snapshotter.js';
import { ContentStore } from './content-store.js';
import { MediaType, formatPlatform, indexPlatforms, selectPlatform, type ImageManifest } from './manifest.js';
import { formatReference, parseImageReference, type ImageReference } from './reference.js';
import type { RegistryClient } from './registry-client.js';

/** The runtime part of an image config (`config` of the image configuration JSON). */
export interface ImageRunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
}

/** A pulled, unpacked image. */
export interface StoredImage {
  /** The reference it was pulled as (canonical form). */
  ref: string;
  /** Digest of the platform manifest: the image's identity here. */
  digest: string;
  configDigest: string;
  platform: Platform;
  /** Platforms the reference offers (an index's entries; else the image's own). */
  platforms: Platform[];
  config: ImageRunConfig;
  /** Snapshot names, bottom layer first. */
  snapshots: string[];
  sizeBytes: number;
}

interface Catalog {
  images: Record<string, StoredImage>;
  tags: Record<string, string>;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** Dependencies of {@link ImageStore.open}. */
export interface ImageStoreDeps {
  dir: string;
  client: RegistryClient;
  logger: Logger;
}

/** The runc adapter's image store. */
export class ImageStore {
  #catalog: Catalog = { images: {}, tags: {} };
  readonly #inflight = new Map<string, Promise<StoredImage>>();

  private constructor(
    private readonly dir: string,
    private readonly client: RegistryClient,
    readonly content: ContentStore,
    readonly snapshots: Snapshotter,
    private readonly logger: Logger,
  ) {}

  static async open(deps: ImageStoreDeps): Promise<ImageStore> {
    await mkdir(deps.dir, { recursive: true });
    const content = await ContentStore.open(join(deps.dir, 'content'));
    const snapshots = await Snapshotter.open(join(deps.dir, 'snapshots'), deps.logger);
    const store = new ImageStore(deps.dir, deps.client, content, snapshots, deps.logger);
    for (const name of await readdir(deps.dir)) if (name.endsWith('.tmp')) await rm(join(deps.dir, name), { force: true });
    try {
      store.#catalog = JSON.parse(await readFile(join(deps.dir, 'images.json'), 'utf8')) as Catalog;
    } catch {
      // first start, or an unreadable catalog: images are pulled again
    }
    return store;
  }

  /** A stored image by manifest digest. */
  get(digest: string): StoredImage | undefined {
    return this.#catalog.images[digest];
  }

  /** References and digests of stored images (for the scheduler's image-locality score). */
  names(): string[] {
    return [...Object.keys(this.#catalog.tags), ...Object.keys(this.#catalog.images)];
  }

  /** Pulls `ref` for `platform` unless already present (see the pull policy above). */
  async pull(ref: string, platform: Platform, opts: PullOpts = {}): Promise<PulledImage & { image: StoredImage }> {
    const parsed = parseImageReference(ref);
    const canonical = formatReference(parsed);
    const known = parsed.digest !== undefined ? this.#catalog.images[parsed.digest] : parsed.tag !== 'latest' ? this.#byTag(canonical) : undefined;
    let image = known;
    if (!image) {
      let pending = this.#inflight.get(canonical);
      if (!pending) {
        pending = this.#fetch(parsed, canonical, ref, platform, opts).finally(() => this.#inflight.delete(canonical));
        this.#inflight.set(canonical, pending);
      }
      image = await pending;
    } else {
      // Present in the catalog: make sure its snapshots are too (a cleaned data dir, a crash mid-unpack).
      await this.snapshots.prepare(await this.#layerSources(image));
    }
    return { ref, digest: image.digest, sizeBytes: image.sizeBytes, image };
  }

  #byTag(canonical: string): StoredImage | undefined {
    const digest = this.#catalog.tags[canonical];
    return digest !== undefined ? this.#catalog.images[digest] : undefined;
  }

  async #fetch(ref: ImageReference, canonical: string, asWritten: string, platform: Platform, opts: PullOpts): Promise<StoredImage> {
    const started = Date.now();
    const top = await this.client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest', opts);
    let manifest = top;
    let platforms: Platform[] = [];
    if (top.document.kind === 'index') {
      platforms = indexPlatforms(top.document);
      const entry = selectPlatform(top.document, platform);
      manifest = await this.client.getManifest(ref, entry.digest, opts);
      if (manifest.document.kind !== 'manifest') throw new ImagePullError(`${canonical}: the index entry for ${formatPlatform(platform)} is itself an index`);
    }
    const doc = manifest.document as ImageManifest;
    if (doc.config.mediaType === MediaType.wasmConfig) {
      throw new ImagePullError(`${canonical} is a Wasm component artifact, not a container image: run it with runtimeClassName: wasm`);
    }
    await this.content.put(manifest.digest, manifest.bytes, `manifest of ${canonical}`);
    const configBytes = await this.client.getBlob(ref, doc.config, MAX_CONFIG_BYTES, opts);
    await this.content.put(doc.config.digest, configBytes, `config of ${canonical}`);
    const config = parseImageConfig(configBytes, canonical);
    if (platforms.length === 0) platforms = [config.platform];
    if (config.platform.os !== platform.os || config.platform.architecture !== platform.architecture) {
      throw new ImagePullError(`${canonical} is built for ${formatPlatform(config.platform)}, this node is ${formatPlatform(platform)}`);
    }
    if (config.diffIds.length !== doc.layers.length) {
      throw new ImagePullError(`${canonical}: the config lists ${config.diffIds.length} layer diff IDs for ${doc.layers.length} layers`);
    }
    for (const layer of doc.layers) {
      await this.content.ensure(layer, async () => (await this.client.openBlob(ref, layer.digest, opts)).body, `layer ${layer.digest} of ${canonical}`);
    }
    const image: StoredImage = {
      ref: canonical,
      digest: manifest.digest,
      configDigest: doc.config.digest,
      platform: config.platform,
      platforms,
      config: config.run,
      snapshots: [],
      sizeBytes: doc.config.size + doc.layers.reduce((n, l) => n + l.size, 0),
    };
    const layers = doc.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, diffId: config.diffIds[i]!, blobPath: this.content.path(l.digest) }));
    image.snapshots = await this.snapshots.prepare(layers);
    this.#catalog.images[image.digest] = image;
    this.#catalog.tags[canonical] = image.digest;
    // The spelling of the pod spec too: the scheduler's image-locality score compares that.
    if (asWritten !== canonical) this.#catalog.tags[asWritten] = image.digest;
    await this.#save();
    this.logger.info({ image: canonical, digest: image.digest, layers: layers.length, ms: Date.now() - started }, 'image pulled');
    return image;
  }

  async #layerSources(image: StoredImage): Promise<Array<{ digest: string; mediaType: string; diffId: string; blobPath: string }>> {
    const manifest = JSON.parse((await this.content.read(image.digest)).toString('utf8')) as { layers: Array<{ digest: string; mediaType: string }> };
    const config = parseImageConfig(await this.content.read(image.configDigest), image.ref);
    return manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, diffId: config.diffIds[i] ?? '', blobPath: this.content.path(l.digest) }));
  }

  async #save(): Promise<void> {
    // A name of its own per save: concurrent pulls each rename a whole file into place.
    const tmp = join(this.dir, `images.json.${randomUUID().slice(0, 8)}.tmp`);
    await writeFile(tmp, JSON.stringify(this.#catalog));
    await rename(tmp, join(this.dir, 'images.json'));
  }
}

/** The parts of an image configuration the runtime uses, validated. */
export function parseImageConfig(bytes: Uint8Array, what: string): { platform: Platform; run: ImageRunConfig; diffIds: string[] } {
  let doc: { os?: unknown; architecture?: unknown; variant?: unknown; config?: unknown; rootfs?: { diff_ids?: unknown } };
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof doc;
  } catch (err) {
    throw new ImagePullError(`config of ${what} is not JSON: ${errorMessage(err)}`);
  }
  const diffIds = doc.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string')) throw new ImagePullError(`config of ${what} has no rootfs.diff_ids`);
  const platform: Platform = { os: typeof doc.os === 'string' ? doc.os : 'linux', architecture: typeof doc.architecture === 'string' ? doc.architecture : 'unknown' };
  if (typeof doc.variant === 'string') platform.variant = doc.variant;
  const run = (typeof doc.config === 'object' && doc.config !== null ? doc.config : {}) as ImageRunConfig;
  return { platform, run, diffIds: diffIds as string[] };
}

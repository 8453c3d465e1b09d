/**
 * Images of the daemonless (runc) adapter: pulled through the distribution API, resolved to the
 * node's platform, every blob verified, layers unpacked into snapshots at pull time (so creating a
 * container is only a mount). What is present is recorded in `images.json`, so a restarted agent
 * knows its images; it is written durably, and what it names is checked again when read (a torn
 * cache — a blob that no longer hashes to its digest, a snapshot without its marker — is fetched or
 * unpacked anew). The store's directories are 0700. Pull policy as Kubernetes defaults it: a digest-pinned image or one with a tag
 * other than `latest` is not fetched again once present.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImagePullError, errorMessage } from '../../api/index.js';
import type { Logger, PulledImage } from '../../api/index.js';
import { writeFileDurable } from '../../durable/index.js';
import type { PullOpts } from '../adapter.js';
import { BlobCache } from './blob-cache.js';
import { type Catalog, type StoredImage, validCatalog } from './image-catalog.js';
import { parseImageConfig } from './image-config.js';
import { Snapshotter, type LayerSource, type SnapshotterOptions } from '../unpack/snapshotter.js';
import {
  privateDir,
  MediaType,
  formatPlatform,
  indexPlatforms,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type Platform,
  formatReference,
  parseImageReference,
  type ImageReference,
  type RegistryClient,
} from '../../distribution/index.js';

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** Dependencies of {@link ImageStore.open}. */
export interface ImageStoreDeps {
  dir: string;
  client: RegistryClient;
  logger: Logger;
  /** Bounds of a pull: largest blob, uncompressed bytes and entries of one layer (defaults in blob-cache.ts, snapshotter.ts). */
  limits?: SnapshotterOptions & { maxBlobBytes?: number };
}

/** The runc adapter's image store. */
export class ImageStore {
  #catalog: Catalog = { images: {}, tags: {} };
  readonly #inflight = new Map<string, Promise<StoredImage>>();

  private constructor(
    private readonly dir: string,
    private readonly client: RegistryClient,
    readonly content: BlobCache,
    readonly snapshots: Snapshotter,
    private readonly logger: Logger,
  ) {}

  static async open(deps: ImageStoreDeps): Promise<ImageStore> {
    await privateDir(deps.dir);
    const { maxBlobBytes, ...unpackLimits } = deps.limits ?? {};
    const content = await BlobCache.open(join(deps.dir, 'content'), {
      logger: deps.logger,
      ...(maxBlobBytes !== undefined ? { maxBlobBytes } : {}),
    });
    const snapshots = await Snapshotter.open(join(deps.dir, 'snapshots'), deps.logger, unpackLimits);
    const store = new ImageStore(deps.dir, deps.client, content, snapshots, deps.logger);
    for (const name of await readdir(deps.dir))
      if (name.endsWith('.tmp') || name.includes('.tmp-')) await rm(join(deps.dir, name), { force: true });
    try {
      store.#catalog = validCatalog(JSON.parse(await readFile(join(deps.dir, 'images.json'), 'utf8')));
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
    const known =
      parsed.digest !== undefined
        ? this.#catalog.images[parsed.digest]
        : parsed.tag !== 'latest'
          ? this.#byTag(canonical)
          : undefined;
    let image = known;
    if (!image) {
      let pending = this.#inflight.get(canonical);
      if (!pending) {
        pending = this.#fetch(parsed, canonical, ref, platform, opts).finally(() => this.#inflight.delete(canonical));
        this.#inflight.set(canonical, pending);
      }
      image = await pending;
    } else {
      // Present in the catalog: make sure its snapshots are too (a cleaned data dir, a crash mid-unpack,
      // a torn blob); when its own manifest or config is torn, it is pulled again.
      try {
        await this.snapshots.prepare(await this.#layerSources(image, parsed, opts));
      } catch (err) {
        this.logger.warn({ image: image.ref, err: errorMessage(err) }, 'stored image is incomplete: pulling it again');
        image = await this.#fetch(parsed, formatReference(parsed), ref, platform, opts);
      }
    }
    return { ref, digest: image.digest, sizeBytes: image.sizeBytes, image };
  }

  #byTag(canonical: string): StoredImage | undefined {
    const digest = this.#catalog.tags[canonical];
    return digest !== undefined ? this.#catalog.images[digest] : undefined;
  }

  async #fetch(
    ref: ImageReference,
    canonical: string,
    asWritten: string,
    platform: Platform,
    opts: PullOpts,
  ): Promise<StoredImage> {
    const started = Date.now();
    const top = await this.client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest', opts);
    let manifest = top;
    let platforms: Platform[] = [];
    if (top.document.kind === 'index') {
      platforms = indexPlatforms(top.document);
      const entry = selectPlatform(top.document, platform);
      manifest = await this.client.getManifest(ref, entry.digest, opts);
      if (manifest.document.kind !== 'manifest')
        throw new ImagePullError(`${canonical}: the index entry for ${formatPlatform(platform)} is itself an index`);
    }
    const doc = manifest.document as ImageManifest;
    if (doc.config.mediaType === MediaType.wasmConfig) {
      throw new ImagePullError(
        `${canonical} is a Wasm component artifact, not a container image: run it with runtimeClassName: wasm`,
      );
    }
    await this.content.put(manifest.digest, manifest.bytes, `manifest of ${canonical}`);
    const configBytes = await this.client.getBlob(ref, doc.config, MAX_CONFIG_BYTES, opts);
    await this.content.put(doc.config.digest, configBytes, `config of ${canonical}`);
    const config = parseImageConfig(configBytes, canonical);
    if (platforms.length === 0) platforms = [config.platform];
    if (config.platform.os !== platform.os || config.platform.architecture !== platform.architecture) {
      throw new ImagePullError(
        `${canonical} is built for ${formatPlatform(config.platform)}, this node is ${formatPlatform(platform)}`,
      );
    }
    if (config.diffIds.length !== doc.layers.length) {
      throw new ImagePullError(
        `${canonical}: the config lists ${config.diffIds.length} layer diff IDs for ${doc.layers.length} layers`,
      );
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
    // A layer's blob is fetched (or verified, when present) only if its snapshot must be unpacked.
    const layers = doc.layers.map((l, i) => this.#layerSource(ref, l, config.diffIds[i]!, canonical, opts));
    image.snapshots = await this.snapshots.prepare(layers);
    this.#catalog.images[image.digest] = image;
    this.#catalog.tags[canonical] = image.digest;
    // The spelling of the pod spec too: the scheduler's image-locality score compares that.
    if (asWritten !== canonical) this.#catalog.tags[asWritten] = image.digest;
    await this.#save();
    this.logger.info(
      { image: canonical, digest: image.digest, layers: layers.length, ms: Date.now() - started },
      'image pulled',
    );
    return image;
  }

  #layerSource(ref: ImageReference, desc: Descriptor, diffId: string, canonical: string, opts: PullOpts): LayerSource {
    const what = `layer ${desc.digest} of ${canonical}`;
    return {
      digest: desc.digest,
      mediaType: desc.mediaType,
      diffId,
      blob: () =>
        this.content.ensure(desc, async () => (await this.client.openBlob(ref, desc.digest, opts)).body, what),
    };
  }

  /** The layers of a stored image, from its stored (and re-verified) manifest and config. */
  async #layerSources(image: StoredImage, ref: ImageReference, opts: PullOpts): Promise<LayerSource[]> {
    const doc = parseManifest(await this.content.read(image.digest), undefined);
    if (doc.kind !== 'manifest') throw new ImagePullError(`${image.ref}: stored manifest ${image.digest} is an index`);
    const config = parseImageConfig(await this.content.read(image.configDigest), image.ref);
    if (config.diffIds.length !== doc.layers.length)
      throw new ImagePullError(`${image.ref}: stored config and manifest disagree on the layers`);
    return doc.layers.map((l, i) => this.#layerSource(ref, l, config.diffIds[i]!, image.ref, opts));
  }

  async #save(): Promise<void> {
    // Durable (fsync, rename, fsync dir), with a temporary name of its own per save.
    await writeFileDurable(join(this.dir, 'images.json'), JSON.stringify(this.#catalog));
  }
}

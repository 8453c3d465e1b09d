/**
 * What the Wasm image store knows of OCI registry references, kept in `refs.json` beside the
 * components so a restarted agent still knows them: each spelling of a reference (canonical and as a
 * pod spec wrote it) → the digest of the manifest it resolved to → the component (by its sha256).
 * The components themselves are the image store's files; this is only the index over them. Saved
 * with src/durable; a torn or unreadable file is dropped with a log line (pulls rebuild it).
 */
import { readFile } from 'node:fs/promises';
import { errorMessage, type Logger } from '../../api/index.js';
import { writeFileDurable } from '../../durable/index.js';

/** A component pulled from a registry. */
export interface RegistryImage {
  /** Digest of the artifact's manifest. */
  manifest: string;
  /** `sha256:<hex>` of the component: the image store's key. */
  digest: string;
  sizeBytes: number;
}

interface CatalogFile {
  version: 1;
  /** Reference → manifest digest. */
  tags: Record<string, string>;
  /** Manifest digest → component. */
  manifests: Record<string, { digest: string; sizeBytes: number }>;
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** The persisted index of registry references. */
export class RegistryRefs {
  readonly #path: string;
  readonly #tags = new Map<string, string>();
  readonly #manifests = new Map<string, { digest: string; sizeBytes: number }>();
  /** Saves run one after another, each writing the state of its own time. */
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  /** Reads `path`; a missing file is an empty index, an unreadable one is logged and dropped. */
  static async load(path: string, logger: Logger): Promise<RegistryRefs> {
    const refs = new RegistryRefs(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return refs;
    }
    try {
      const doc = JSON.parse(text) as Partial<CatalogFile>;
      for (const [manifest, v] of Object.entries(doc.manifests ?? {})) {
        if (
          typeof v === 'object' &&
          v !== null &&
          typeof v.digest === 'string' &&
          SHA256.test(v.digest) &&
          typeof v.sizeBytes === 'number'
        ) {
          refs.#manifests.set(manifest, { digest: v.digest, sizeBytes: v.sizeBytes });
        }
      }
      for (const [ref, manifest] of Object.entries(doc.tags ?? {})) {
        if (typeof manifest === 'string' && refs.#manifests.has(manifest)) refs.#tags.set(ref, manifest);
      }
    } catch (err) {
      // Only an index: the components are still on disk and are found again by pulling.
      logger.warn({ path, err: errorMessage(err) }, 'ignoring an unreadable registry reference index');
    }
    return refs;
  }

  /** The component `ref` (any spelling recorded) resolved to last. */
  byRef(ref: string): RegistryImage | undefined {
    const manifest = this.#tags.get(ref);
    return manifest !== undefined ? this.byManifest(manifest) : undefined;
  }

  /** The component of manifest `digest`, if it was pulled. */
  byManifest(digest: string): RegistryImage | undefined {
    const m = this.#manifests.get(digest);
    return m ? { manifest: digest, ...m } : undefined;
  }

  /** Every recorded reference with its component. */
  *entries(): Iterable<[string, RegistryImage]> {
    for (const [ref, manifest] of this.#tags) {
      const image = this.byManifest(manifest);
      if (image) yield [ref, image];
    }
  }

  /** Records that `refs` resolved to `image` (a tag that moved now points at it) and saves. */
  async record(refs: readonly string[], image: RegistryImage): Promise<void> {
    this.#manifests.set(image.manifest, { digest: image.digest, sizeBytes: image.sizeBytes });
    let changed = false;
    for (const ref of refs) {
      if (this.#tags.get(ref) === image.manifest) continue;
      this.#tags.set(ref, image.manifest);
      changed = true;
    }
    if (!changed) return;
    const save = this.#saving.then(() => this.#write());
    this.#saving = save.catch(() => undefined);
    await save;
  }

  async #write(): Promise<void> {
    const doc: CatalogFile = {
      version: 1,
      tags: Object.fromEntries(this.#tags),
      manifests: Object.fromEntries(this.#manifests),
    };
    // Flushed before and after the rename: a power cut leaves the old index or the new one.
    await writeFileDurable(this.#path, JSON.stringify(doc));
  }
}

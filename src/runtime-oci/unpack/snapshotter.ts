/**
 * Unpacked layers, cached on disk by chain ID (the layer's diff ID chained with those beneath it,
 * as containerd's snapshotters key them): a layer shared by several images is unpacked once. Each
 * snapshot is a directory overlayfs can stack (see layer-apply.ts). A snapshot is unpacked into a
 * temporary directory and renamed into place once complete and its diff ID verified, so a present
 * snapshot is always whole.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImagePullError, errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { Digester } from '../image/digest.js';
import { applyLayer } from './layer-apply.js';

/** A layer to unpack: its compressed blob on disk and the digest of its uncompressed tar. */
export interface LayerSource {
  digest: string;
  mediaType: string;
  diffId: string;
  blobPath: string;
}

/** Chain IDs of a stack of diff IDs (bottom first): `chain(n) = sha256(chain(n-1) + " " + diff(n))`. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diff of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diff : `sha256:${createHash('sha256').update(`${prev} ${diff}`).digest('hex')}`);
  }
  return out;
}

/** The on-disk snapshot cache. */
export class Snapshotter {
  readonly #inflight = new Map<string, Promise<void>>();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<Snapshotter> {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      if (name.includes('.tmp-')) await rm(join(dir, name), { recursive: true, force: true });
    }
    return new Snapshotter(dir, logger);
  }

  /** Directory name (relative to `dir`) of the snapshot with chain ID `chainId`. */
  nameOf(chainId: string): string {
    return chainId.replace(/^sha256:/, '');
  }

  /** Makes sure every layer is unpacked; returns snapshot names, bottom first. */
  async prepare(layers: readonly LayerSource[]): Promise<string[]> {
    const chain = chainIds(layers.map((l) => l.diffId));
    const names = chain.map((c) => this.nameOf(c));
    for (let i = 0; i < layers.length; i++) {
      const name = names[i]!;
      if (await exists(join(this.dir, name))) continue;
      let pending = this.#inflight.get(name);
      if (!pending) {
        const lowers = names.slice(0, i).reverse().map((n) => join(this.dir, n));
        pending = this.#unpack(layers[i]!, name, lowers).finally(() => this.#inflight.delete(name));
        this.#inflight.set(name, pending);
      }
      await pending;
    }
    return names;
  }

  async #unpack(layer: LayerSource, name: string, lowers: string[]): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp-${randomUUID().slice(0, 8)}`);
    const started = Date.now();
    await mkdir(tmp, { mode: 0o755 });
    const diff = new Digester(layer.diffId);
    try {
      const tar = decompressed(layer);
      const hashed = (async function* () {
        for await (const chunk of tar as AsyncIterable<Uint8Array>) {
          diff.update(chunk);
          yield chunk;
        }
      })();
      const stats = await applyLayer(hashed, { root: tmp, lowers });
      diff.verify(`layer ${layer.digest}`);
      await rename(tmp, join(this.dir, name));
      this.logger.debug({ layer: layer.digest, entries: stats.entries, whiteouts: stats.whiteouts, ms: Date.now() - started }, 'layer unpacked');
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`cannot unpack layer ${layer.digest}: ${errorMessage(err)}`, err);
    }
  }
}

function decompressed(layer: LayerSource): Readable {
  const mt = layer.mediaType;
  const file = createReadStream(layer.blobPath);
  if (/zstd/.test(mt)) {
    file.destroy();
    throw new ImagePullError(`layer ${layer.digest} is zstd-compressed (${mt}), which this node cannot unpack; push it with gzip`);
  }
  if (/gzip/.test(mt)) {
    const gunzip = createGunzip();
    file.on('error', (err) => gunzip.destroy(err));
    return file.pipe(gunzip);
  }
  if (/tar$/.test(mt) || mt === '') return file;
  file.destroy();
  throw new ImagePullError(`layer ${layer.digest} has media type ${mt}, which is not a filesystem layer`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

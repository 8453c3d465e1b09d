/**
 * Unpacked layers, cached on disk by chain ID (the layer's diff ID chained with those beneath it,
 * as containerd's snapshotters key them): a layer shared by several images is unpacked once. Each
 * snapshot is a directory overlayfs can stack (see layer-apply.ts).
 *
 * Every diff ID is checked to be a well-formed sha256 digest before any name derived from it touches
 * the disk. A snapshot is unpacked into a temporary directory, its diff ID verified, its tree flushed,
 * renamed into place, and only then is its completion marker (`<name>.done`, recording the chain ID,
 * diff ID and layer digest) written durably: a directory without a valid marker — torn by a power cut,
 * or planted — never stands in for a layer; it is moved aside and the layer unpacked again.
 * Layers are tar, gzip or zstd (zstd-stream.ts). Decompression is bounded (uncompressed bytes and
 * entries per layer): a decompression bomb is refused with an error naming the layer, and its partial
 * snapshot removed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImagePullError, errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { publishDurable, writeFileDurable } from '../../durable/index.js';
import { runCommand } from '../command.js';
import { Digester, assertSha256Digest, parseDigest, privateDir } from '../../distribution/index.js';
import { applyLayer } from './layer-apply.js';
import { lstatOrUndefined } from './root-path.js';
import { createZstdDecompress } from './zstd-stream.js';

/** A layer to unpack: the digest of its uncompressed tar, and its compressed blob. */
export interface LayerSource {
  digest: string;
  mediaType: string;
  diffId: string;
  /** Path of the compressed blob, fetched and verified if need be; called only when the layer must be unpacked. */
  blob(): Promise<string>;
}

/** Bounds of one layer's unpack. */
export interface SnapshotterOptions {
  /** Most uncompressed bytes of one layer (default {@link DEFAULT_MAX_LAYER_BYTES}). */
  maxLayerBytes?: number;
  /** Most entries of one layer (default: layer-apply's). */
  maxEntries?: number;
}

/** Default cap on the uncompressed size of one layer. */
export const DEFAULT_MAX_LAYER_BYTES = 16 * 1024 ** 3;

const MARKER = '.done';

/** Chain IDs of a stack of diff IDs (bottom first): `chain(n) = sha256(chain(n-1) + " " + diff(n))`. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  diffIds.forEach((diff, i) => assertSha256Digest(diff, `rootfs.diff_ids[${i}]`));
  for (const diff of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diff : `sha256:${createHash('sha256').update(`${prev} ${diff}`).digest('hex')}`);
  }
  return out;
}

interface Marker {
  chainId: string;
  diffId: string;
  layer: string;
}

/** The on-disk snapshot cache. */
export class Snapshotter {
  readonly #inflight = new Map<string, Promise<void>>();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly opts: SnapshotterOptions,
  ) {}

  /** Opens (making it 0700) the cache at `dir`; removes what interrupted unpacks left. */
  static async open(dir: string, logger: Logger, opts: SnapshotterOptions = {}): Promise<Snapshotter> {
    await privateDir(dir);
    for (const name of await readdir(dir)) {
      if (name.includes('.tmp-')) await rm(join(dir, name), { recursive: true, force: true });
    }
    return new Snapshotter(dir, logger, opts);
  }

  /** Directory name (relative to `dir`) of the snapshot with chain ID `chainId`: its 64 hex digits. */
  nameOf(chainId: string): string {
    return assertSha256Digest(chainId, 'chain ID').slice('sha256:'.length);
  }

  /** Whether snapshot `name` is whole: its directory is there and its marker names `chainId`. */
  async isComplete(name: string, chainId: string): Promise<boolean> {
    let marker: Partial<Marker>;
    try {
      marker = JSON.parse(await readFile(join(this.dir, `${name}${MARKER}`), 'utf8')) as Partial<Marker>;
    } catch {
      return false;
    }
    if (marker.chainId !== chainId) return false;
    return (await lstatOrUndefined(join(this.dir, name)))?.isDirectory() === true;
  }

  /** Makes sure every layer is unpacked; returns snapshot names, bottom first. */
  async prepare(layers: readonly LayerSource[]): Promise<string[]> {
    // Everything that names a directory is checked before anything touches the disk.
    layers.forEach((l, i) => parseDigestOf(l.digest, `layers[${i}].digest`));
    const chain = chainIds(layers.map((l) => l.diffId));
    const names = chain.map((c) => this.nameOf(c));
    for (let i = 0; i < layers.length; i++) {
      const name = names[i]!;
      let pending = this.#inflight.get(name);
      if (!pending) {
        const lowers = names
          .slice(0, i)
          .reverse()
          .map((n) => join(this.dir, n));
        pending = this.#ensure(layers[i]!, chain[i]!, name, lowers).finally(() => this.#inflight.delete(name));
        this.#inflight.set(name, pending);
      }
      await pending;
    }
    return names;
  }

  async #ensure(layer: LayerSource, chainId: string, name: string, lowers: string[]): Promise<void> {
    if (await this.isComplete(name, chainId)) return;
    const stale = await lstatOrUndefined(join(this.dir, name));
    await rm(join(this.dir, `${name}${MARKER}`), { force: true });
    if (stale) {
      // Moved aside, not removed: a container may still have it mounted. Removed at the next open.
      this.logger.warn(
        { layer: layer.digest, snapshot: name },
        'snapshot without a valid completion marker: unpacking the layer again',
      );
      await rename(join(this.dir, name), join(this.dir, `${name}.tmp-stale-${randomUUID().slice(0, 8)}`));
    }
    await this.#unpack(layer, await layer.blob(), chainId, name, lowers);
  }

  async #unpack(layer: LayerSource, blobPath: string, chainId: string, name: string, lowers: string[]): Promise<void> {
    const tmp = join(this.dir, `${name}.tmp-${randomUUID().slice(0, 8)}`);
    const started = Date.now();
    const maxBytes = this.opts.maxLayerBytes ?? DEFAULT_MAX_LAYER_BYTES;
    await mkdir(tmp, { mode: 0o755 });
    const diff = new Digester(layer.diffId);
    try {
      const tar = decompressed(layer, blobPath);
      const bounded = (async function* () {
        try {
          for await (const chunk of tar as AsyncIterable<Uint8Array>) {
            diff.update(chunk);
            if (diff.size > maxBytes) {
              throw new ImagePullError(
                `layer ${layer.digest} expands past ${maxBytes} bytes uncompressed, the most this node accepts for one layer (a decompression bomb?)`,
              );
            }
            yield chunk;
          }
        } finally {
          tar.destroy();
        }
      })();
      const stats = await applyLayer(bounded, {
        root: tmp,
        lowers,
        ...(this.opts.maxEntries !== undefined ? { maxEntries: this.opts.maxEntries } : {}),
      });
      diff.verify(`layer ${layer.digest}`);
      // One syncfs flushes the whole tree without an fsync per file on the event loop; then the
      // rename publishes it, the parent is flushed, and the marker is written last.
      await runCommand('sync', ['-f', tmp]);
      await publishDurable(tmp, join(this.dir, name), { contentFlushed: true });
      const marker: Marker = { chainId, diffId: layer.diffId, layer: layer.digest };
      await writeFileDurable(join(this.dir, `${name}${MARKER}`), JSON.stringify(marker));
      if (stats.skipped > 0) {
        this.logger.info(
          { layer: layer.digest, skipped: stats.skipped, examples: stats.skippedExamples },
          'layer has device nodes or fifos: not created (the container gets its /dev from the runtime)',
        );
      }
      this.logger.debug(
        { layer: layer.digest, entries: stats.entries, whiteouts: stats.whiteouts, ms: Date.now() - started },
        'layer unpacked',
      );
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`cannot unpack layer ${layer.digest}: ${errorMessage(err)}`, err);
    }
  }
}

function parseDigestOf(digest: string, what: string): void {
  try {
    parseDigest(digest);
  } catch (err) {
    throw new ImagePullError(`${what}: ${errorMessage(err)}`);
  }
}

function decompressed(layer: LayerSource, blobPath: string): Readable {
  const mt = layer.mediaType;
  const zstd = /zstd/.test(mt);
  const gzip = !zstd && /gzip/.test(mt);
  if (!zstd && !gzip && !/tar$/.test(mt) && mt !== '')
    throw new ImagePullError(`layer ${layer.digest} has media type ${mt}, which is not a filesystem layer`);
  const file = createReadStream(blobPath);
  if (!zstd && !gzip) return file;
  // A decoder's error (a corrupt or cut stream) ends the iteration in #unpack, which names the layer.
  const decoder = zstd ? createZstdDecompress() : createGunzip();
  file.on('error', (err) => decoder.destroy(err));
  decoder.on('close', () => file.destroy());
  return file.pipe(decoder);
}

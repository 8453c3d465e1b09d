/**
 * The bytes of a blob download received so far, kept in memory and — with a directory — in a partial
 * file (`<dir>/<hex>.part`, its validator in `<hex>.meta`), so a download cut by a poor link, or by an
 * agent restart, resumes with a `Range` from where it stopped instead of starting again.
 *
 * What is kept is the representation as it came over the wire (brotli when the hub sent it so), named
 * by the hub's ETag of that representation: a resume asks `If-Range` with it, so a hub that has another
 * encoding (another hub, a cache made again) answers the whole thing and the partial starts over. A
 * partial that does not decode to the digest is discarded by the caller (hub-blob.ts), never reused.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const PartialMeta = z.object({ etag: z.string().min(1).max(512), encoding: z.enum(['identity', 'br']) });
/** How the kept bytes are encoded. */
export type WireEncoding = z.infer<typeof PartialMeta>['encoding'];

/** A download in progress (one per fetch; not shared between concurrent fetches of one digest). */
export class PartialBlob {
  readonly #dir: string | undefined;
  readonly #hex: string;
  #chunks: Buffer[] = [];
  #length = 0;
  #etag: string | undefined;
  #encoding: WireEncoding = 'identity';
  /** Bytes that came from an earlier process (a partial file found at open). */
  #fromDisk = 0;

  private constructor(dir: string | undefined, hex: string) {
    this.#dir = dir;
    this.#hex = hex;
  }

  /**
   * The download of `digest`, resumed from `dir`'s partial file when one is there and valid (its
   * validator readable, its size within `maxBytes`); anything else found there is removed.
   */
  static async open(dir: string | undefined, digest: string, maxBytes: number): Promise<PartialBlob> {
    const p = new PartialBlob(dir, digest.slice('sha256:'.length));
    if (dir === undefined) return p;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const [meta, bytes] = await Promise.all([
      readFile(p.#path('meta'), 'utf8').catch(() => undefined),
      readFile(p.#path('part')).catch(() => undefined),
    ]);
    const parsed = meta === undefined ? undefined : PartialMeta.safeParse(safeJson(meta));
    if (!parsed?.success || bytes === undefined || bytes.byteLength > maxBytes || bytes.byteLength === 0) {
      await p.discard();
      return p;
    }
    p.#etag = parsed.data.etag;
    p.#encoding = parsed.data.encoding;
    p.#chunks = [bytes];
    p.#length = bytes.byteLength;
    p.#fromDisk = bytes.byteLength;
    return p;
  }

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }
  /** The validator of what is held (undefined: the hub gave none, so nothing can be resumed). */
  get etag(): string | undefined {
    return this.#etag;
  }
  get encoding(): WireEncoding {
    return this.#encoding;
  }
  /** Bytes that were found on disk at open (a download an earlier process began). */
  get fromDisk(): number {
    return this.#fromDisk;
  }

  /** Starts over for a whole representation with validator `etag` (none: kept in memory only). */
  async restart(etag: string | undefined, encoding: WireEncoding): Promise<void> {
    this.#chunks = [];
    this.#length = 0;
    this.#fromDisk = 0;
    this.#etag = etag;
    this.#encoding = encoding;
    await this.#removeFiles();
    if (this.#dir !== undefined && etag !== undefined) {
      await writeFile(this.#path('part'), new Uint8Array(0), { mode: 0o600 });
      await writeFile(this.#path('meta'), JSON.stringify({ etag, encoding }), { mode: 0o600 });
    }
  }

  /** Appends received bytes (to the file too, when there is one for this representation). */
  async append(chunk: Buffer): Promise<void> {
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
    if (this.#dir !== undefined && this.#etag !== undefined) await appendFile(this.#path('part'), chunk);
  }

  /** Everything held, as one buffer. */
  bytes(): Buffer {
    const all = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [all];
    return all;
  }

  /** Forgets what is held, on disk too (done, or not to be trusted). */
  async discard(): Promise<void> {
    this.#chunks = [];
    this.#length = 0;
    this.#fromDisk = 0;
    this.#etag = undefined;
    await this.#removeFiles();
  }

  async #removeFiles(): Promise<void> {
    if (this.#dir === undefined) return;
    await Promise.all([rm(this.#path('part'), { force: true }), rm(this.#path('meta'), { force: true })]);
  }

  #path(kind: 'part' | 'meta'): string {
    return join(this.#dir!, `${this.#hex}.${kind}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

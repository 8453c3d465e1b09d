/**
 * Walks the frame and block headers of a zstd stream (RFC 8878) ahead of the decoder, without decoding
 * anything, for what the decoders do not get right by themselves:
 * - **Memory.** fzstd allocates each frame's declared window up front (up to 2 GiB): every frame header
 *   is read here first, and a window past the cap is refused before a decoder sees it.
 * - **Block by block.** The walk stops at each block's end (and each skippable frame's), so the caller
 *   hands the decoder one block at a time: fzstd decodes whatever whole blocks it is given in one
 *   synchronous call (its output could not wait for the reader otherwise), and Node's decoder drops
 *   the frames after the first within one write. {@link ZstdFrameWalker.work} counts what fzstd does
 *   besides decoding: it allocates a frame's whole window, and slides all of it along once per block.
 * - **Truncation and trailing garbage.** {@link ZstdFrameWalker.end} says whether the stream stopped
 *   between frames; bytes after a frame that do not start one are refused.
 */

/** Bad or unacceptable zstd data: corrupt, cut short, or asking for more memory than the node gives. */
export class ZstdDataError extends Error {
  override readonly name = 'ZstdDataError';
}

/** A corrupt stream, with what the decoder (or the walker) found wrong. */
export const corruptZstd = (detail: string): ZstdDataError => new ZstdDataError(`zstd data is corrupt: ${detail}`);

/** A stream that stops inside a frame. */
export const truncatedZstd = (): ZstdDataError => corruptZstd('unexpected end of the stream (truncated)');

const MAGIC = 0xfd2fb528;
/** Skippable frames have magic numbers 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE = 0x184d2a50;
/** The most a block may hold, compressed or not (Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024;
const MIB = 1024 * 1024;

/** What the collected bytes are: a frame's start (magic number and descriptor), the rest of its header, a skippable frame's size, or a block header. */
type Collecting = 'start' | 'header' | 'skippable' | 'block';

/** Tracks where a zstd stream is, chunk after chunk; throws {@link ZstdDataError} on what it refuses. */
export class ZstdFrameWalker {
  /** Window bytes fzstd touches: one window per frame (its allocation) and one per block (the slide). */
  work = 0;
  /** Header bytes collected; a frame header is at most 18 bytes (magic 4, descriptor 1, window 1, dictionary 4, size 8). */
  readonly #head = new Uint8Array(18);
  #have = 0;
  #need = 5;
  #collecting: Collecting = 'start';
  /** Bytes to pass over: a block's content (and the checksum after a frame's last block), or a skippable frame. */
  #skip = 0;
  /** A block header (or a skippable frame's) was read: the walk stops once what follows it is passed. */
  #stop = false;
  #window = 0;
  #checksum = false;
  /** The content sizes the frame headers declare, while every frame declares one. */
  #declared: number | undefined = 0;
  #empty = true;

  /** @param maxWindow the largest window a frame may declare, in bytes. */
  constructor(private readonly maxWindow: number) {}

  /** Walks `chunk` from `from` to the end of the next block or skippable frame, or of the chunk; returns where it stopped. */
  walk(chunk: Uint8Array, from: number): number {
    let at = from;
    if (at < chunk.length) this.#empty = false;
    for (;;) {
      if (this.#skip === 0 && this.#stop) {
        this.#stop = false;
        return at;
      }
      if (at >= chunk.length) return at;
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      this.#head[this.#have++] = chunk[at++]!;
      if (this.#have === this.#need) this.#parse();
    }
  }

  /** Throws unless the stream ended between frames (an empty one is cut short too, as zstd's own CLI says). */
  end(): void {
    if (this.#empty || this.#collecting !== 'start' || this.#have > 0 || this.#skip > 0) throw truncatedZstd();
  }

  /**
   * Throws unless `decoded` bytes came out where every frame declared its content size (fzstd checks
   * neither sizes nor checksums: this catches some corruption, the layer's diff ID the rest).
   */
  checkSize(decoded: number): void {
    if (this.#declared !== undefined && decoded !== this.#declared) {
      throw corruptZstd(`${decoded} bytes decoded where the frame headers declare ${this.#declared}`);
    }
  }

  #parse(): void {
    const h = this.#head;
    this.#have = 0;
    if (this.#collecting === 'start') {
      const magic = readLE(h, 0, 4);
      if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE) return this.#expect('skippable', 8, true);
      if (magic !== MAGIC) throw corruptZstd('not a zstd frame (bad magic number)');
      const f = fields(h[4]!);
      return this.#expect('header', 5 + f.windowBytes + f.dictBytes + f.sizeBytes, true);
    }
    if (this.#collecting === 'skippable') {
      this.#skip = readLE(h, 4, 4);
      this.#stop = true;
      return this.#expect('start', 5);
    }
    if (this.#collecting === 'header') return this.#frameHeader();
    const b = readLE(h, 0, 3);
    const type = (b >> 1) & 3;
    const size = b >>> 3;
    if (type === 3) throw corruptZstd('reserved block type');
    if (size > MAX_BLOCK) throw corruptZstd(`a block of ${size} bytes, past the format's ${MAX_BLOCK}`);
    this.#skip = type === 1 ? 1 : size; // an RLE block holds one byte, repeated `size` times
    this.work += this.#window;
    this.#stop = true;
    if (b & 1) {
      this.#skip += this.#checksum ? 4 : 0;
      this.#expect('start', 5);
    } else this.#expect('block', 3);
  }

  /** A whole frame header is in `#head`: its window is checked before any decoder allocates it. */
  #frameHeader(): void {
    const h = this.#head;
    const fhd = h[4]!;
    if (fhd & 8) throw corruptZstd('reserved bit set in a frame header');
    const { windowBytes, dictBytes, sizeBytes } = fields(fhd);
    let window = 0;
    if (windowBytes) {
      const wd = h[5]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    const at = 5 + windowBytes;
    if (readLE(h, at, dictBytes) !== 0) throw corruptZstd('the frame needs a dictionary, which a layer cannot carry');
    const size = sizeBytes === 0 ? undefined : readLE(h, at + dictBytes, sizeBytes) + (sizeBytes === 2 ? 256 : 0);
    this.#declared = size === undefined || this.#declared === undefined ? undefined : this.#declared + size;
    // A single-segment frame has no window descriptor: its window is its content size.
    if (!windowBytes) window = size ?? 0;
    if (window > this.maxWindow) {
      throw new ZstdDataError(
        `a zstd frame asks for a ${mib(window)} window, more than the ${mib(this.maxWindow)} this node decodes with`,
      );
    }
    this.#window = window;
    this.#checksum = ((fhd >> 2) & 1) === 1;
    this.work += window;
    this.#expect('block', 3);
  }

  /** Collects `need` bytes for `what` next (`keep`: those already in `#head` count towards them). */
  #expect(what: Collecting, need: number, keep = false): void {
    this.#collecting = what;
    this.#need = need;
    if (keep) this.#have = 5;
  }
}

/** Sizes of a frame header's optional fields, from its descriptor byte. */
function fields(fhd: number): { windowBytes: number; dictBytes: number; sizeBytes: number } {
  const singleSegment = (fhd >> 5) & 1;
  return {
    windowBytes: 1 - singleSegment,
    dictBytes: [0, 1, 2, 4][fhd & 3]!,
    // A size flag of 0 means a 1-byte size in a single-segment frame, none otherwise.
    sizeBytes: [singleSegment, 2, 4, 8][fhd >> 6]!,
  };
}

/** A little-endian unsigned number of `bytes` bytes (up to 8: exact below 2^53, which is all a limit needs). */
function readLE(b: Uint8Array, at: number, bytes: number): number {
  let n = 0;
  for (let i = bytes - 1; i >= 0; i--) n = n * 256 + b[at + i]!;
  return n;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / MIB) * 100) / 100} MiB`;
}

/**
 * A streaming zstd decompressor for image layers (`application/vnd.oci.image.layer.v1.tar+zstd`).
 *
 * Two decoders, because Node's own arrives only in 22.15 / 23.8 and the project runs on Node 20 too:
 * - **native**: `node:zlib`'s `createZstdDecompress` (the reference C library), where this Node has it.
 *   Fastest; its memory per frame is bounded by `ZSTD_d_windowLogMax` (set to the cap below), and it is
 *   written a block at a time, as it loses the frames after the first within one write otherwise.
 * - **fzstd**: a small, dependency-free pure-JS decoder (101arrowz/fzstd), everywhere else. It decodes
 *   back-references only up to 2^25 bytes, allocates each frame's declared window up front, slides
 *   that whole window once per block, and checks neither content sizes nor checksums. So it gets one
 *   block at a time: windows past the cap are refused before fzstd allocates them, its output waits
 *   for the reader between blocks (backpressure holds even for a bomb), the event loop gets a turn
 *   every {@link YIELD_WORK} bytes of window work, a stream whose window work outgrows its output
 *   ({@link MAX_WORK}) is refused, and declared sizes are checked at the end.
 *
 * Both run behind {@link ZstdFrameWalker}, which reads every frame and block header first.
 *
 * Either way a bad stream fails the stream with a {@link ZstdDataError} ("zstd data is corrupt: …"),
 * a stream cut inside a frame included; concatenated and skippable frames are read as the format says.
 */
import { Duplex, Readable } from 'node:stream';
import type { Transform } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { ZstdDataError, ZstdFrameWalker, corruptZstd, truncatedZstd } from './zstd-frames.js';

export { ZstdDataError } from './zstd-frames.js';

/** Which decoder: `auto` (the default) is `native` where this Node has it, else `fzstd`. */
export type ZstdDecoder = 'auto' | 'native' | 'fzstd';

/** Options of {@link createZstdDecompress}. */
export interface ZstdDecompressOptions {
  decoder?: ZstdDecoder;
  /**
   * The largest window a frame may ask for, as a power of two. Default: 27 (128 MiB, the reference
   * decoder's own default) natively; 25 (32 MiB) with fzstd, the farthest back-reference it decodes.
   */
  maxWindowLog?: number;
}

/** Default window caps (log2 of bytes). */
export const DEFAULT_MAX_WINDOW_LOG = { native: 27, fzstd: 25 } as const;

/** fzstd's window work (bytes) between two turns of the event loop: a few milliseconds of copying. */
export const YIELD_WORK = 256 * 1024 * 1024;

/**
 * The most window work fzstd may do: `perByte` per byte decoded, past an `allowance`. A real layer's
 * blocks hold up to 128 KiB each, so even under the largest window (32 MiB) its work is ~256 bytes
 * per byte out (zstd:chunked's per-file frames, sized to their content, at most ~750); a stream of tiny blocks under a large window (~1 ms of copying per block, for a few
 * bytes) is refused once past the allowance (~150 ms of copying), rather than costing minutes per MB.
 */
export const MAX_WORK = { perByte: 1024, allowance: 4 * 1024 * 1024 * 1024 } as const;

/** `node:zlib`'s zstd API where the running Node has it (@types/node 20 does not declare it). */
interface NativeZstd {
  createZstdDecompress?: (opts: { params: Record<number, number> }) => Transform;
  constants: { ZSTD_d_windowLogMax?: number };
}
const native = zlib as unknown as NativeZstd;

/** Whether this Node's `node:zlib` decodes zstd itself (Node >= 22.15 / 23.8). */
export const hasNativeZstd = typeof native.createZstdDecompress === 'function';

/**
 * A Duplex that takes zstd-compressed bytes and gives the decompressed ones, holding no more than a
 * block or two of either in memory. Throws at once if `decoder: 'native'` is asked of a Node without it.
 */
export function createZstdDecompress(opts: ZstdDecompressOptions = {}): Duplex {
  const which =
    opts.decoder === undefined || opts.decoder === 'auto' ? (hasNativeZstd ? 'native' : 'fzstd') : opts.decoder;
  const maxWindowLog = opts.maxWindowLog ?? DEFAULT_MAX_WINDOW_LOG[which];
  if (which === 'native' && !hasNativeZstd) {
    throw new Error(`this Node (${process.version}) has no zstd in node:zlib (Node >= 22.15 / 23.8 has)`);
  }
  return Duplex.from(
    which === 'native'
      ? (source: AsyncIterable<Uint8Array>) => nativeDecode(source, maxWindowLog)
      : (source: AsyncIterable<Uint8Array>) => fzstdDecode(source, maxWindowLog),
  );
}

/**
 * `source` cut at the end of every block and skippable frame, each header checked by `frames` first;
 * throws at the end unless the stream ended between frames.
 */
async function* blocks(source: AsyncIterable<Uint8Array>, frames: ZstdFrameWalker): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length;) {
      const end = frames.walk(chunk, at);
      yield chunk.subarray(at, end);
      at = end;
    }
  }
  frames.end();
}

async function* nativeDecode(source: AsyncIterable<Uint8Array>, maxWindowLog: number): AsyncGenerator<Buffer> {
  const param = native.constants.ZSTD_d_windowLogMax;
  const unzstd = native.createZstdDecompress!({ params: param === undefined ? {} : { [param]: maxWindowLog } });
  // Node's decoder drops what follows the end of a frame in the same write (nodejs/node#64741), so it
  // is written no more than a block at a time: every frame then starts a write of its own.
  const input = Readable.from(blocks(source, new ZstdFrameWalker(2 ** maxWindowLog)), { objectMode: false });
  input.on('error', (err) => unzstd.destroy(err));
  input.pipe(unzstd);
  try {
    for await (const chunk of unzstd as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw nativeError(err);
  } finally {
    input.destroy();
    unzstd.destroy();
  }
}

/** zlib's errors, in the same words as fzstd's; any other error (the walker's, the source's) as it is. */
function nativeError(err: unknown): unknown {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  if (typeof code !== 'string') return err;
  if (code === 'Z_BUF_ERROR') return truncatedZstd();
  return code.startsWith('ZSTD_error') ? corruptZstd((err as Error).message) : err;
}

async function* fzstdDecode(source: AsyncIterable<Uint8Array>, maxWindowLog: number): AsyncGenerator<Buffer> {
  const frames = new ZstdFrameWalker(2 ** maxWindowLog);
  const out: Buffer[] = [];
  let decoded = 0;
  // fzstd hands out a fresh array per block (it copies into its window, never reuses the block).
  const decoder = new Decompress((block) => {
    decoded += block.length;
    if (block.length > 0) out.push(Buffer.from(block.buffer, block.byteOffset, block.length));
  });
  const decode = (bytes: Uint8Array, final: boolean): void => {
    try {
      decoder.push(bytes, final);
    } catch (err) {
      throw corruptZstd(err instanceof Error ? err.message : String(err));
    }
  };
  let yieldedAt = 0;
  for await (const block of blocks(source, frames)) {
    decode(block, false);
    if (frames.work > MAX_WORK.allowance + MAX_WORK.perByte * decoded) throw tooCostly(frames.work, decoded);
    // Each block's output waits here until the reader wants more.
    while (out.length > 0) yield out.shift()!;
    if (frames.work - yieldedAt >= YIELD_WORK) {
      yieldedAt = frames.work;
      await nextTurn();
    }
  }
  decode(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift()!;
  frames.checkSize(decoded);
}

/** A stream of blocks far smaller than its window: refused for what it would cost fzstd to decode. */
function tooCostly(work: number, decoded: number): ZstdDataError {
  const mib = (n: number): string => `${Math.round(n / (1024 * 1024))} MiB`;
  return new ZstdDataError(
    `zstd data refused: its blocks are far smaller than its window (${mib(work)} of window copying for ` +
      `${decoded} bytes out so far), which Node ${process.version}'s decoder (fzstd) pays per block; ` +
      'compress the layer with gzip or regular zstd, or run the node on Node >= 22.15',
  );
}

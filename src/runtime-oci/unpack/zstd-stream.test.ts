import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { tar, type TarMember } from '../../../test/support/tar.js';
import { ZstdDataError, createZstdDecompress, hasNativeZstd, type ZstdDecoder } from './zstd-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'zstd-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** `data` compressed by the real zstd CLI (Debian's `zstd`), from a file, so frames declare their size. */
function zstd(data: Buffer, ...args: string[]): Buffer {
  const file = join(dir, `in-${++n}`);
  writeFileSync(file, data);
  return execFileSync('zstd', ['-q', '-c', ...args, file], { maxBuffer: 1 << 30 });
}

/** Deterministic pseudo-random bytes: incompressible, like a binary or an already-compressed file. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A ~6 MB tar like an image layer's: source-like text, a binary, zeros (made once). */
let layer: Promise<Buffer> | undefined;
const layerTar = (): Promise<Buffer> => (layer ??= makeLayerTar());
/** The layer compressed at each level asked for (once each: level 19 takes seconds). */
const compressed = new Map<string, Buffer>();
async function layerZstd(level: string): Promise<Buffer> {
  const raw = await layerTar();
  if (!compressed.has(level)) compressed.set(level, zstd(raw, level));
  return compressed.get(level)!;
}

async function makeLayerTar(): Promise<Buffer> {
  const text = Array.from({ length: 40_000 }, (_, i) => `export const value${i % 977} = ${i * 7} // layer line ${i}\n`);
  const members: TarMember[] = [
    { path: 'etc/', type: 'dir' },
    { path: 'etc/app.conf', data: text.join('') },
    { path: 'usr/bin/app', data: noise(2_500_000, 7), mode: 0o755 },
    { path: 'var/empty.img', data: Buffer.alloc(1_500_000) },
  ];
  return tar(members);
}

/** Decodes `compressed` fed in `chunk`-byte pieces. */
async function decode(compressed: Buffer, decoder: ZstdDecoder, chunk = 64 * 1024): Promise<Buffer> {
  const pieces = Array.from({ length: Math.ceil(compressed.length / chunk) }, (_, i) =>
    compressed.subarray(i * chunk, (i + 1) * chunk),
  );
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(createZstdDecompress({ decoder }))) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** A frame header: magic, descriptor 0 (no checksum, no size, not single-segment), window 2^`log`. */
const frameHeader = (log: number): Buffer => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (log - 10) << 3]);
/** A raw block of `byte` (the last of its frame when `last`). */
const rawBlock = (byte: number, last = false): Buffer => Buffer.from([last ? 0x09 : 0x08, 0, 0, byte]);

const decoders: Array<{ decoder: ZstdDecoder; title: string; skip: boolean }> = [
  { decoder: 'fzstd', title: 'fzstd (pure JS, what Node 20 uses)', skip: false },
  {
    decoder: 'native',
    title: hasNativeZstd
      ? 'native (node:zlib)'
      : `native (node:zlib) — skipped: Node ${process.version} has no zstd in node:zlib (22.15+ / 23.8+)`,
    skip: !hasNativeZstd,
  },
];

for (const { decoder, title, skip } of decoders) {
  describe.skipIf(skip)(`zstd decoder: ${title}`, () => {
    it('round-trips a multi-MB tar compressed at levels 3 and 19, fed in small and large chunks', async () => {
      const raw = await layerTar();
      expect(raw.length).toBeGreaterThan(5_000_000);
      for (const level of ['-3', '-19']) {
        const z = await layerZstd(level);
        expect(z.length).toBeLessThan(raw.length / 2);
        expect((await decode(z, decoder, 1000)).equals(raw)).toBe(true);
        expect((await decode(z, decoder, 1 << 20)).equals(raw)).toBe(true);
      }
    });

    // Several small frames share each 4 KiB write: Node's own decoder would drop all but the first of
    // them (nodejs/node#64741) were it not written a block at a time.
    it('reads concatenated frames and skips skippable ones', async () => {
      const parts = [Buffer.from('first frame\n'.repeat(5000)), noise(300_000, 3), Buffer.from('third, from stdin\n')];
      const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
      // The last frame comes from a pipe: no content size in its header.
      const piped = execFileSync('zstd', ['-q', '-c'], { input: parts[2] });
      const stream = Buffer.concat([zstd(parts[0]!), skippable, zstd(parts[1]!, '-19'), piped]);
      expect((await decode(stream, decoder, 4096)).equals(Buffer.concat(parts))).toBe(true);
    });

    it('fails a corrupt stream with a clear error', async () => {
      const raw = await layerTar();
      const z = await layerZstd('-3');
      const flipped = Buffer.from(z);
      for (let i = 100_000; i < 100_100; i++) flipped[i]! ^= 0x5a;
      const garbage = Buffer.concat([z, Buffer.from('not zstd at all')]);
      const reservedBlock = Buffer.concat([frameHeader(20), Buffer.from([0x07, 0, 0])]);
      for (const bad of [flipped, garbage, reservedBlock, raw.subarray(0, 4096)]) {
        const err = await decode(bad, decoder).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ZstdDataError);
        expect((err as Error).message).toMatch(/^zstd data is corrupt: /);
      }
    });

    it('fails a truncated stream (cut in a header, a block or the checksum) instead of ending early', async () => {
      const z = await layerZstd('-3');
      for (const cut of [0, 3, 9, 50_000, z.length - 2]) {
        await expect(decode(z.subarray(0, cut), decoder)).rejects.toThrow(
          'zstd data is corrupt: unexpected end of the stream (truncated)',
        );
      }
    });

    it('refuses a frame asking for a 2 GiB window before allocating it', async () => {
      const before = process.memoryUsage().arrayBuffers;
      const hostile = Buffer.concat([frameHeader(31), rawBlock(65, true)]);
      await expect(decode(hostile, decoder)).rejects.toThrow(
        /^a zstd frame asks for a .*window.* this node decodes with/,
      );
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    });

    it('holds back its output while the reader waits (a 256 MiB bomb is never held in memory)', async () => {
      const bomb = execFileSync('sh', ['-c', 'head -c 268435456 /dev/zero | zstd -q -c']);
      expect(bomb.length).toBeLessThan(64 * 1024);
      const stream = Readable.from([bomb]).pipe(createZstdDecompress({ decoder }));
      const before = process.memoryUsage().arrayBuffers;
      let total = 0;
      let most = 0;
      for await (const c of stream) {
        total += (c as Buffer).length;
        if (total === (c as Buffer).length) await new Promise((r) => setTimeout(r, 50)); // a slow reader, once
        most = Math.max(most, process.memoryUsage().arrayBuffers - before);
      }
      expect(total).toBe(256 * 1024 * 1024);
      // Buffers read and dropped wait for a GC (how many depends on the Node and the load: 50 MiB on
      // Node 20, 58-77 MiB on Node 24 seen); a decoder without backpressure would hold all 256 MiB.
      expect(most).toBeLessThan(160 * 1024 * 1024);
    });
  });
}

describe('fzstd decoder bounds', () => {
  it('caps the window at 32 MiB by default (the farthest back-reference fzstd decodes), or as asked', async () => {
    const frame = Buffer.concat([frameHeader(26), rawBlock(66, true)]);
    await expect(decode(frame, 'fzstd')).rejects.toThrow(
      'a zstd frame asks for a 64 MiB window, more than the 32 MiB this node decodes with',
    );
    const out: Buffer[] = [];
    for await (const c of Readable.from([frame]).pipe(createZstdDecompress({ decoder: 'fzstd', maxWindowLog: 26 }))) {
      out.push(c as Buffer);
    }
    expect(Buffer.concat(out).toString()).toBe('B');
  });

  it('gives the event loop turns through a stream of tiny blocks under a large window', async () => {
    // Each block makes fzstd slide its whole 4 MiB window: 512 of them are ~2 GiB of copying.
    const blocks = Array.from({ length: 511 }, () => rawBlock(65));
    const stream = Buffer.concat([frameHeader(22), ...blocks, rawBlock(66, true)]);
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await decode(stream, 'fzstd').finally(() => (done = true));
    expect(out.toString()).toBe(`${'A'.repeat(511)}B`);
    expect(turns).toBeGreaterThanOrEqual(4);
  });

  it('refuses a stream of tiny blocks under a large window once its copying outgrows its output', async () => {
    // 1-byte blocks under a 32 MiB window: 32 MiB of copying per byte, refused past the 4 GiB allowance
    // (~128 blocks), long before the 10,000 blocks are decoded.
    const blocks = Array.from({ length: 10_000 }, () => rawBlock(65));
    const stream = Buffer.concat([frameHeader(25), ...blocks, rawBlock(66, true)]);
    const started = performance.now();
    await expect(decode(stream, 'fzstd')).rejects.toThrow(
      /zstd data refused: its blocks are far smaller than its window \(\d+ MiB of window copying for \d+ bytes out so far\)/,
    );
    // Within the allowance: a few hundred ms of copying on a busy machine, not the ~12 s of the whole stream.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it.skipIf(hasNativeZstd)('says which Node has a native decoder when asked for one it lacks', () => {
    expect(() => createZstdDecompress({ decoder: 'native' })).toThrow(/has no zstd in node:zlib/);
  });
});

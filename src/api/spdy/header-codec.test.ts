/* SPDY/3 header blocks: the dictionary, compression across blocks of one connection, and the bounds. */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';
import { HeaderCodec, MAX_HEADER_BLOCK_BYTES, decodeHeaderBlock, encodeHeaderBlock } from './header-codec.js';

/** Adler-32 (zlib's dictionary id). */
function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

const headers = (o: Record<string, string>): Map<string, string[]> =>
  new Map(Object.entries(o).map(([k, v]) => [k, [v]]));

describe('SPDY/3 header blocks', () => {
  it('use the spec dictionary (1423 bytes, the id Go zlib readers check)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY).toString(16)).toBe('e3c6a7c2');
  });

  it('compress block after block in one stream that a plain zlib inflater with the dictionary reads', async () => {
    const client = new HeaderCodec();
    const blocks = [
      headers({ streamtype: 'error', port: '8080', requestid: '0' }),
      headers({ streamtype: 'data', port: '8080', requestid: '0' }),
      new Map(),
    ];
    const compressed: Buffer[] = [];
    for (const b of blocks) compressed.push(await client.encode(b));
    // Each block ends with a sync flush: the prefix up to any block inflates whole.
    const all = inflateSync(Buffer.concat(compressed), {
      dictionary: SPDY3_DICTIONARY,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(all.equals(Buffer.concat(blocks.map(encodeHeaderBlock)))).toBe(true);
    client.close();
  });

  it('round-trip between two codecs, in order, for any headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), fc.string({ maxLength: 40 })), {
          maxLength: 6,
        }),
        async (list) => {
          const a = new HeaderCodec();
          const b = new HeaderCodec();
          const sent = list.map((o) => new Map(Object.entries(o).map(([k, v]) => [k, v.split('\0')])));
          const wire = await Promise.all(sent.map((h) => a.encode(h)));
          const got = [];
          for (const w of wire) got.push(await b.decode(w));
          expect(got).toEqual(sent);
          a.close();
          b.close();
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a block that inflates past its bound, and malformed blocks', async () => {
    const codec = new HeaderCodec();
    const big = deflateSync(Buffer.alloc(MAX_HEADER_BLOCK_BYTES * 4), { dictionary: SPDY3_DICTIONARY });
    await expect(codec.decode(big)).rejects.toBeInstanceOf(SpdyProtocolError);
    codec.close();
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 1]))).toThrow(SpdyProtocolError);
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 1, 0]))).toThrow(/headers/);
  });

  it('refuses a block that is not zlib at all, instead of waiting forever for its flush', async () => {
    const codec = new HeaderCodec();
    await expect(codec.decode(Buffer.from('not a zlib stream, a peer’s garbage'))).rejects.toThrow(
      /header compression broke: incorrect header check/,
    );
    // The stream stays broken: later blocks of this connection are refused too.
    await expect(codec.decode(Buffer.from([0x78, 0xbb]))).rejects.toBeInstanceOf(SpdyProtocolError);
    codec.close();
  });

  it('ends a call under way when the connection closes, with "closed" rather than an empty block or a hang', async () => {
    const sender = new HeaderCodec();
    const first = await sender.encode(headers({ a: 'b' }));
    const later = await sender.encode(headers({ c: 'd' }));
    // A flush in flight when the connection closes: it is no header block.
    const codec = new HeaderCodec();
    const flushing = codec.decode(first).then(
      () => 'decoded',
      (err: Error) => err.message,
    );
    await new Promise((r) => setImmediate(r));
    codec.close();
    expect(await flushing).toBe('the connection is closed');
    // A fresh receiver of a later block errors; closed meanwhile or not, the call settles with an error.
    const other = new HeaderCodec();
    const erring = other.decode(later).then(
      () => 'decoded',
      (err: Error) => err.message,
    );
    await new Promise((r) => setImmediate(r));
    other.close();
    expect(await erring).toMatch(/^(the connection is closed|header compression broke: .+)$/);
    sender.close();
  });
});

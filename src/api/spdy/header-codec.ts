/**
 * SPDY/3 header blocks: a count, then length-prefixed names and values (several values of one name
 * joined by NUL), compressed per connection and direction as one zlib stream primed with SPDY's
 * dictionary, each block ending with a sync flush. The two zlib streams are stateful, so blocks are
 * compressed and decompressed strictly in the order of the frames that carry them: each codec runs
 * its calls one after another.
 *
 * Bounded: a block inflating past `MAX_HEADER_BLOCK_BYTES`, or naming more than `MAX_HEADERS`,
 * breaks the connection (SPDY header compression is an amplifier otherwise).
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Largest header block accepted, inflated. */
export const MAX_HEADER_BLOCK_BYTES = 16 * 1024;
/** Most headers one block may hold. */
export const MAX_HEADERS = 64;

/** Header names (lower-case, as SPDY requires) to their values. */
export type SpdyHeaders = Map<string, string[]>;

/** A header block, uncompressed. */
export function encodeHeaderBlock(headers: ReadonlyMap<string, readonly string[]>): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Reads an uncompressed header block; throws SpdyProtocolError when it is malformed. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let off = 0;
  const read = (n: number, what: string): Buffer => {
    if (off + n > block.length) throw new SpdyProtocolError(`a header block cut short in its ${what}`);
    const out = block.subarray(off, off + n);
    off += n;
    return out;
  };
  const count = read(4, 'count').readUInt32BE(0);
  if (count > MAX_HEADERS) throw new SpdyProtocolError(`a header block of ${count} headers (at most ${MAX_HEADERS})`);
  const headers: SpdyHeaders = new Map();
  for (let i = 0; i < count; i++) {
    const name = read(read(4, 'name length').readUInt32BE(0), 'name').toString('utf8').toLowerCase();
    const value = read(read(4, 'value length').readUInt32BE(0), 'value').toString('utf8');
    if (name === '') throw new SpdyProtocolError('a header with an empty name');
    headers.set(name, [...(headers.get(name) ?? []), ...value.split('\0')]);
  }
  if (off !== block.length) throw new SpdyProtocolError('bytes after the last header of a block');
  return headers;
}

/** Runs one zlib stream's calls in order, each written then sync-flushed, collecting its output. */
class ZlibRunner {
  readonly #z: Deflate | Inflate;
  readonly #limit: number;
  #chain: Promise<unknown> = Promise.resolve();
  #broken: Error | undefined;
  #closed = false;
  /** Ends the call under way with an error (a closed stream calls neither the flush back nor 'error'). */
  #fail: ((err: Error) => void) | undefined;

  constructor(z: Deflate | Inflate, limit: number) {
    this.#z = z;
    this.#limit = limit;
    z.on('error', (err: Error) => (this.#broken ??= err));
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.#chain.then(() => this.#one(input));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#closed = true;
    this.#fail?.(new Error('the connection is closed'));
    this.#z.close();
  }

  #one(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('the connection is closed'));
      if (this.#broken) return reject(new SpdyProtocolError(`header compression broke: ${this.#broken.message}`));
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer): void => {
        size += c.length;
        if (size <= this.#limit) chunks.push(c);
      };
      const fail = (err: Error): void => {
        done();
        reject(err);
      };
      // A stream that errors (a peer's garbage block) never calls the flush back: the error settles the call.
      const onError = (err: Error): void => fail(new SpdyProtocolError(`header compression broke: ${err.message}`));
      const done = (): void => {
        this.#fail = undefined;
        this.#z.off('data', onData);
        this.#z.off('error', onError);
      };
      this.#fail = fail;
      this.#z.on('data', onData);
      this.#z.once('error', onError);
      this.#z.write(input);
      this.#z.flush(constants.Z_SYNC_FLUSH, () => {
        done();
        // Closed while flushing: zlib ends the flush with whatever it had, which is no header block.
        if (this.#closed) return reject(new Error('the connection is closed'));
        if (this.#broken) return reject(new SpdyProtocolError(`header compression broke: ${this.#broken.message}`));
        if (size > this.#limit)
          return reject(new SpdyProtocolError(`a header block of more than ${this.#limit} bytes`));
        resolve(Buffer.concat(chunks, size));
      });
    });
  }
}

/** One connection's two header streams: what the peer sent (inflate) and what we send (deflate). */
export class HeaderCodec {
  readonly #in = new ZlibRunner(createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK_BYTES);
  readonly #out = new ZlibRunner(createDeflate({ dictionary: SPDY3_DICTIONARY }), Number.MAX_SAFE_INTEGER);

  /** Decompresses and reads the peer's next header block. */
  async decode(compressed: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.#in.run(compressed));
  }

  /** Our next header block, compressed. */
  encode(headers: ReadonlyMap<string, readonly string[]>): Promise<Buffer> {
    return this.#out.run(encodeHeaderBlock(headers));
  }

  /** Frees the zlib streams. */
  close(): void {
    this.#in.close();
    this.#out.close();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * A streaming tar reader (POSIX ustar with the GNU and PAX extensions image layers use: long names
 * and link names, PAX `path`/`linkpath`/`size`/`uid`/`gid`/`mtime`, base-256 numbers). Entries are
 * handed out one at a time with a sink for their body, so a layer is never held in memory. The whole
 * source is consumed, even past the end-of-archive blocks, so a digest computed over it is complete.
 */

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

/** One archive member. */
export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** Receives an entry's body. */
export interface TarSink {
  write(chunk: Uint8Array): Promise<void> | void;
  end(): Promise<void> | void;
}

/** A malformed archive. */
export class TarFormatError extends Error {}

const BLOCK = 512;
const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
/** Most bytes of metadata entries (long names, PAX headers) kept in memory. */
const MAX_META = 1024 * 1024;

/** Bytes received but not consumed yet. */
class ByteQueue {
  #chunks: Buffer[] = [];
  length = 0;

  push(chunk: Uint8Array): void {
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#chunks.push(b);
    this.length += b.length;
  }

  /** Removes and returns up to `n` bytes (fewer only when fewer are queued). */
  take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.length -= out.length;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0 && this.#chunks.length > 0) {
      const part = this.take(Math.min(need, this.#chunks[0]!.length));
      parts.push(part);
      need -= part.length;
    }
    return Buffer.concat(parts);
  }
}

function cstring(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? slice.length : nul).toString('utf8');
}

function number(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  if ((field[0] ?? 0) & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as the marker.
    let v = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const text = cstring(buf, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum === number(header, 148, 8);
}

/** `"%d key=value\n"` records of a PAX header. */
function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(body.subarray(pos, space).toString('ascii'), 10);
    if (!(len > 0) || pos + len > body.length) throw new TarFormatError('malformed PAX record');
    const record = body.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

type Meta = { kind: 'pax' | 'globalPax' | 'gnuName' | 'gnuLink'; chunks: Buffer[] };

/** Reads the archive from `source`, calling `onEntry` for each member (in order, one at a time). */
export async function readTar(source: AsyncIterable<Uint8Array>, onEntry: (entry: TarEntry) => Promise<TarSink | undefined>): Promise<void> {
  const q = new ByteQueue();
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let body: { remaining: number; padding: number; sink?: TarSink; meta?: Meta } | undefined;
  let zeroBlocks = 0;
  let ended = false;

  const finishMeta = (meta: Meta): void => {
    const data = Buffer.concat(meta.chunks);
    if (meta.kind === 'pax') pax = { ...pax, ...parsePax(data) };
    else if (meta.kind === 'globalPax') globalPax = { ...globalPax, ...parsePax(data) };
    else if (meta.kind === 'gnuName') longName = cstring(data, 0, data.length);
    else if (meta.kind === 'gnuLink') longLink = cstring(data, 0, data.length);
  };

  const header = async (h: Buffer): Promise<void> => {
    if (h.every((b) => b === 0)) {
      if (++zeroBlocks >= 2) ended = true;
      return;
    }
    zeroBlocks = 0;
    if (!checksumOk(h)) throw new TarFormatError('bad header checksum (not a tar archive, or corrupt)');
    const typeflag = String.fromCharCode(h[156] ?? 0);
    const size = number(h, 124, 12);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META) throw new TarFormatError(`metadata entry of ${size} bytes is too large`);
      const kinds: Record<string, Meta['kind']> = { x: 'pax', g: 'globalPax', L: 'gnuName', K: 'gnuLink' };
      body = { remaining: size, padding, meta: { kind: kinds[typeflag] ?? 'pax', chunks: [] } };
      return;
    }
    const magic = cstring(h, 257, 6);
    const prefix = magic === 'ustar' ? cstring(h, 345, 155) : '';
    const attrs = { ...globalPax, ...pax };
    const entry: TarEntry = {
      path: attrs.path ?? longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100)),
      type: TYPES[typeflag] ?? 'other',
      mode: number(h, 100, 8),
      uid: attrs.uid !== undefined ? Number(attrs.uid) : number(h, 108, 8),
      gid: attrs.gid !== undefined ? Number(attrs.gid) : number(h, 116, 8),
      size: attrs.size !== undefined ? Number(attrs.size) : size,
      mtime: attrs.mtime !== undefined ? Math.floor(Number(attrs.mtime)) : number(h, 136, 12),
      linkname: attrs.linkpath ?? longLink ?? cstring(h, 157, 100),
      devmajor: number(h, 329, 8),
      devminor: number(h, 337, 8),
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    // Links, directories and devices carry no body whatever their size field says.
    const bodySize = entry.type === 'file' || entry.type === 'other' ? entry.size : 0;
    const sink = await onEntry(entry);
    body = { remaining: bodySize, padding: (BLOCK - (bodySize % BLOCK)) % BLOCK };
    if (sink) body.sink = sink;
  };

  const drain = async (final: boolean): Promise<void> => {
    for (;;) {
      if (ended) {
        q.take(q.length);
        return;
      }
      if (body) {
        if (body.remaining > 0) {
          if (q.length === 0) return;
          const part = q.take(Math.min(body.remaining, q.length));
          body.remaining -= part.length;
          if (body.meta) body.meta.chunks.push(Buffer.from(part));
          if (body.sink) await body.sink.write(part);
          continue;
        }
        if (q.length < body.padding) {
          if (final) throw new TarFormatError('archive ends inside an entry');
          return;
        }
        q.take(body.padding);
        const done = body;
        body = undefined;
        if (done.meta) finishMeta(done.meta);
        if (done.sink) await done.sink.end();
        continue;
      }
      if (q.length < BLOCK) {
        if (final && q.length > 0) throw new TarFormatError('archive ends inside a header');
        return;
      }
      await header(q.take(BLOCK));
    }
  };

  for await (const chunk of source) {
    q.push(chunk);
    await drain(false);
  }
  await drain(true);
  if (body && (body.remaining > 0 || body.padding > 0)) throw new TarFormatError('archive ends inside an entry');
}

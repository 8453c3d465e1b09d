/**
 * Reads an image layer's tar stream entry by entry with `tar-stream` (the maintained streaming tar
 * parser: ustar, PAX and GNU long names, base-256 numbers; PAX and long-name headers capped at 4 MiB).
 * It is used as a parser only: every filesystem write stays in our own contained code (layer-apply.ts).
 * Entries are handed out one at a time with a sink for their body, so a layer is never held in memory,
 * and the whole source is consumed, even past the end-of-archive blocks, so a digest computed over it
 * is complete.
 */
import { extract as tarExtract, type Header } from 'tar-stream';

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

/** A malformed archive (bad header checksum, unknown format, cut short, oversized PAX header). */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const TYPES: Partial<Record<string, TarEntryType>> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'hardlink',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'dir',
  fifo: 'fifo',
};

/** A PAX number attribute (`uid`, `gid`, `mtime`), else the header's own value. */
function paxNumber(pax: unknown, key: string, fallback: number): number {
  const raw = typeof pax === 'object' && pax !== null ? (pax as Record<string, unknown>)[key] : undefined;
  if (raw === undefined) return fallback;
  const n = Math.floor(Number(raw));
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

/** Maps tar-stream's header; its fields can be null at run time whatever its types say. */
function toEntry(h: Partial<Header>): TarEntry {
  const pax = h.pax;
  return {
    path: h.name ?? '',
    type: (h.type && TYPES[h.type]) ?? 'other',
    mode: h.mode ?? 0,
    uid: paxNumber(pax, 'uid', h.uid ?? 0),
    gid: paxNumber(pax, 'gid', h.gid ?? 0),
    size: h.size ?? 0,
    mtime: paxNumber(pax, 'mtime', Math.floor((h.mtime?.getTime() ?? 0) / 1000)),
    linkname: h.linkname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
}

/**
 * Reads the archive from `source`, calling `onEntry` for each member (in order, one at a time). An
 * error of `source` or of `onEntry`/a sink is rethrown as it is; a malformed archive is a TarFormatError.
 */
export async function readTar(
  source: AsyncIterable<Uint8Array>,
  onEntry: (entry: TarEntry) => Promise<TarSink | undefined>,
): Promise<void> {
  const ex = tarExtract();
  // Kept as Errors (a non-Error thrown is wrapped) so they can be rethrown as they are.
  let sourceError: Error | undefined;
  let consumerError: Error | undefined;
  // Errors of the caller's code are told apart from the parser's, which become TarFormatErrors.
  const consumer = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      consumerError ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  };
  const closed = new Promise<void>((resolve) => ex.once('close', () => resolve()));
  // Feeds the parser, honouring its back-pressure; stops early only when the parser is gone.
  const feed = (async (): Promise<void> => {
    try {
      for await (const chunk of source) {
        if (ex.destroyed) return;
        if (!ex.write(chunk))
          await Promise.race([new Promise<void>((resolve) => ex.once('drain', () => resolve())), closed]);
      }
      if (!ex.destroyed) ex.end(undefined);
    } catch (err) {
      sourceError = err instanceof Error ? err : new Error(String(err));
      ex.destroy(sourceError);
    }
  })();
  try {
    for await (const stream of ex) {
      const sink = await consumer(() => onEntry(toEntry(stream.header)));
      for await (const chunk of stream as AsyncIterable<Uint8Array>) if (sink) await consumer(() => sink.write(chunk));
      if (sink) await consumer(() => sink.end());
    }
  } catch (err) {
    ex.destroy();
    await feed;
    if (consumerError !== undefined) throw consumerError;
    if (sourceError !== undefined) throw sourceError;
    throw new TarFormatError(`malformed tar archive: ${err instanceof Error ? err.message : String(err)}`);
  }
  await feed;
  if (sourceError !== undefined) throw sourceError;
}

/**
 * The node's fetch of a blob (a Wasm component) from the hub's content store by digest. The answer is
 * read with a size bound checked while streaming (the hub's own per-upload maximum by default: no blob
 * the hub accepted is larger), an idle timeout while waiting for headers and between chunks, and one
 * deadline for the whole transfer — so a hub that is wrong, or an address that is not the hub, can
 * neither run the node out of memory nor hang a pull forever.
 *
 * Over a poor link: the node accepts `br` (the hub compresses a blob once and keeps that form; the JS
 * `hello` component travels at about a quarter of its size), and a transfer cut mid-way resumes with
 * `Range`/`If-Range` on the representation received so far (kept in `partialDir`, see blob-partial.ts)
 * rather than starting again. Resuming the encoded stream, not falling back to identity for ranges,
 * keeps the compression for the bytes still to come. The decoded bytes must hash to the digest (the
 * caller checks again); a partial that does not is discarded and the blob fetched whole once more.
 *
 * Blobs are per hub (each hub keeps the components uploaded to it). A node that knows several hubs of
 * one cluster asks the one it is connected to first, then the others, until one has the blob: a
 * component uploaded through any hub reaches every node while that hub is up (see docs/architecture.md).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import { undici } from '../platform/index.js';
import { BLOB_PATH, errorMessage, formatBytes, isSha256Digest } from '../api/index.js';
import { PartialBlob, type WireEncoding } from './blob-partial.js';

/** The hub's default `--blob-max-upload-bytes`: the largest blob it accepts, so the largest a node needs. */
export const DEFAULT_HUB_BLOB_MAX_BYTES = 256 * 1024 * 1024;
/** Idle timeout: waiting for the answer's headers, and between two chunks of its body. */
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Deadline of the whole transfer (256 MiB at about 450 KiB/s). */
const DEFAULT_DEADLINE_MS = 10 * 60_000;
/** Resumes of one download from one hub after cuts that each brought some bytes. */
const MAX_RESUMES = 20;

/** A blob fetch from the hub that failed; the message names the digest, never the node's token. */
export class HubBlobError extends Error {
  override readonly name = 'HubBlobError';
  /** The hub has not got the blob, or could not be reached: another hub of the cluster may serve it. */
  readonly tryAnother: boolean;

  constructor(message: string, tryAnother = false) {
    super(message);
    this.tryAnother = tryAnother;
  }
}

/** Options of {@link hubBlobFetcher}. */
export interface HubBlobFetcherOptions {
  /**
   * The hub's base URL (`http(s)://host:port`), or a function giving the current one (a node that
   * knows several hubs fetches from the one its session is on).
   */
  hubBase: string | (() => string);
  /**
   * The other hubs of the cluster (base URLs), asked in turn when the first one has not got the blob
   * (404) or cannot be reached.
   */
  otherHubs?: () => readonly string[];
  /** The node's bearer token (a plain-HTTP hub); absent when it authenticates with its certificate. */
  token?: string;
  /** The dispatcher of each fetch: TLS with the hub CA and the node's current certificate. */
  dispatcher?: () => Dispatcher;
  /** The pinned hub CA bundle (PEM): an `https` hub must chain to it (nothing else is trusted). */
  ca?: string;
  /** Largest blob accepted (default {@link DEFAULT_HUB_BLOB_MAX_BYTES}). */
  maxBytes?: number;
  /** Idle timeout for headers and between body chunks (default 30 s). */
  idleTimeoutMs?: number;
  /** Deadline of the whole transfer (default 10 min). */
  deadlineMs?: number;
  /**
   * Where a download in progress is kept (the node's data dir), so one cut by the link or a restart
   * resumes; absent: kept in memory (still resumed within one fetch).
   */
  partialDir?: string;
}

/** A `fetchBlob` for the Wasm runtime: `digest` → its bytes, bounded as the options say. */
export function hubBlobFetcher(opts: HubBlobFetcherOptions): (digest: string) => Promise<Uint8Array> {
  const maxBytes = opts.maxBytes ?? DEFAULT_HUB_BLOB_MAX_BYTES;
  const idle = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  // Built with the first download (undici is loaded on first use).
  let pinned: Dispatcher | undefined;
  // One download per digest at a time: two would write the same partial file.
  const inflight = new Map<string, Promise<Uint8Array>>();
  return (digest) => {
    let p = inflight.get(digest);
    if (!p) {
      p = fetchAny(digest).finally(() => inflight.delete(digest));
      inflight.set(digest, p);
    }
    return p;
  };

  async function fetchAny(digest: string): Promise<Uint8Array> {
    // It becomes part of the URL: nothing but a well-formed digest goes there.
    if (!isSha256Digest(digest)) throw new HubBlobError(`not a sha256 digest: ${JSON.stringify(digest.slice(0, 100))}`);
    const first = typeof opts.hubBase === 'string' ? opts.hubBase : opts.hubBase();
    const bases = [first, ...(opts.otherHubs?.() ?? []).filter((b) => b !== first)];
    let missing: HubBlobError | undefined;
    for (const base of bases) {
      try {
        return await fetchFrom(base, digest);
      } catch (err) {
        // Another hub may hold it: a 404 or an unreachable hub moves on; anything else is final.
        if (!(err instanceof HubBlobError) || !err.tryAnother) throw err;
        missing ??= err;
      }
    }
    throw missing!;
  }

  async function fetchFrom(base: string, digest: string): Promise<Uint8Array> {
    const what = `blob ${digest} from the hub`;
    const deadline = AbortSignal.timeout(deadlineMs);
    const partial = await PartialBlob.open(opts.partialDir, digest, maxBytes);
    // A partial that fails the digest is dropped and the blob fetched whole once more, no more.
    let fresh = partial.length === 0;
    for (let attempt = 0; ; attempt++) {
      const before = partial.length;
      try {
        await fetchOnce(base, digest, partial, deadline, what);
        const bytes = await decode(partial);
        if (bytes !== undefined && sha256Of(bytes) === digest) {
          await partial.discard();
          return bytes;
        }
        await partial.discard();
        if (fresh) throw new HubBlobError(`${what}: the bytes received do not match the digest`);
        fresh = true;
      } catch (err) {
        if (err instanceof HubBlobError && !(err instanceof Interrupted)) throw err;
        if (deadline.aborted) throw new HubBlobError(`${what}: not received within ${deadlineMs} ms`);
        // A cut that brought something resumes from there (what was kept is on disk too); one that
        // brought nothing, or too many in a row, moves on to another hub (which may resume it).
        if (partial.length > before && attempt < MAX_RESUMES) continue;
        if (err instanceof Interrupted) throw new HubBlobError(err.message, true);
        throw new HubBlobError(`${what}: ${errorMessage(err)}`, true);
      }
    }
  }

  async function fetchOnce(
    base: string,
    digest: string,
    partial: PartialBlob,
    deadline: AbortSignal,
    what: string,
  ): Promise<void> {
    const headers: Record<string, string> = { 'accept-encoding': 'br' };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const from = partial.length;
    if (from > 0 && partial.etag !== undefined) {
      headers.range = `bytes=${from}-`;
      headers['if-range'] = partial.etag;
    }
    const { Agent, request } = undici();
    if (opts.ca !== undefined) pinned ??= new Agent({ connect: { ca: opts.ca } });
    const res = await request(`${base}${BLOB_PATH}/${digest}`, {
      method: 'GET',
      headers,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher() } : pinned ? { dispatcher: pinned } : {}),
      signal: deadline,
      headersTimeout: idle,
      bodyTimeout: idle,
    });
    const encoding = wireEncoding(res.headers['content-encoding']);
    const etag = header(res.headers.etag);
    if (res.statusCode === 416 || (res.statusCode === 206 && !continues(res.headers, from, partial, encoding, etag))) {
      // The hub's representation is not the one kept: start over (counts as progress lost, not made).
      await res.body.dump().catch(() => undefined);
      await partial.restart(undefined, 'identity');
      throw new Interrupted(`${what}: the hub could not resume it`);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      await res.body.dump().catch(() => undefined);
      throw new HubBlobError(`${what}: the hub answered ${res.statusCode}`, res.statusCode === 404);
    }
    if (encoding === undefined) {
      res.body.destroy();
      throw new HubBlobError(`${what}: the hub sent an encoding the node does not decode`);
    }
    if (res.statusCode === 200) await partial.restart(etag, encoding);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && partial.length + declared > maxBytes) {
      res.body.destroy();
      throw new HubBlobError(
        `${what}: ${formatBytes(partial.length + declared)} is more than the ${formatBytes(maxBytes)} a node accepts`,
      );
    }
    const start = partial.length;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (partial.length + chunk.byteLength > maxBytes) {
          res.body.destroy();
          throw new HubBlobError(`${what}: more than the ${formatBytes(maxBytes)} a node accepts`);
        }
        await partial.append(chunk);
      }
    } catch (err) {
      if (err instanceof HubBlobError) throw err;
      throw new Interrupted(`${what}: cut after ${formatBytes(partial.length)}: ${errorMessage(err)}`);
    }
    if (Number.isFinite(declared) && partial.length - start < declared)
      throw new Interrupted(`${what}: cut after ${formatBytes(partial.length)}`);
  }

  /** The decoded bytes; undefined when they do not decode (as wrong as bytes that do not hash). */
  async function decode(partial: PartialBlob): Promise<Buffer | undefined> {
    if (partial.encoding === 'identity') return partial.bytes();
    return brotliDecompress(partial.bytes(), { maxOutputLength: maxBytes }).catch(() => undefined);
  }
}

/** A transfer cut short: resumable from what was received. */
class Interrupted extends HubBlobError {}

const brotliDecompress = promisify(zlib.brotliDecompress);
const sha256Of = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function wireEncoding(v: string | string[] | undefined): WireEncoding | undefined {
  const e = header(v)?.trim().toLowerCase();
  return e === undefined || e === '' || e === 'identity' ? 'identity' : e === 'br' ? 'br' : undefined;
}

/** True when a 206 continues exactly what is kept: same representation, starting where it stops. */
function continues(
  h: Record<string, string | string[] | undefined>,
  from: number,
  partial: PartialBlob,
  encoding: WireEncoding | undefined,
  etag: string | undefined,
): boolean {
  const m = /^bytes (\d+)-\d+\/\d+$/.exec(header(h['content-range']) ?? '');
  return m !== null && Number(m[1]) === from && encoding === partial.encoding && etag === partial.etag;
}

/**
 * The node's fetch of a blob (a Wasm component) from the hub's content store by digest. The answer is
 * read with a size bound checked while streaming (the hub's own per-upload maximum by default: no blob
 * the hub accepted is larger), an idle timeout while waiting for headers and between chunks, and one
 * deadline for the whole transfer — so a hub that is wrong, or an address that is not the hub, can
 * neither run the node out of memory nor hang a pull forever. The digest is checked by the caller.
 *
 * Blobs are per hub (each hub keeps the components uploaded to it). A node that knows several hubs of
 * one cluster asks the one it is connected to first, then the others, until one has the blob: a
 * component uploaded through any hub reaches every node while that hub is up (see docs/architecture.md).
 */
import { Agent, request, type Dispatcher } from 'undici';
import { BLOB_PATH, errorMessage, formatBytes, isSha256Digest } from '../api/index.js';

/** The hub's default `--blob-max-upload-bytes`: the largest blob it accepts, so the largest a node needs. */
export const DEFAULT_HUB_BLOB_MAX_BYTES = 256 * 1024 * 1024;
/** Idle timeout: waiting for the answer's headers, and between two chunks of its body. */
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Deadline of the whole transfer (256 MiB at about 450 KiB/s). */
const DEFAULT_DEADLINE_MS = 10 * 60_000;

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
}

/** A `fetchBlob` for the Wasm runtime: `digest` → its bytes, bounded as the options say. */
export function hubBlobFetcher(opts: HubBlobFetcherOptions): (digest: string) => Promise<Uint8Array> {
  const maxBytes = opts.maxBytes ?? DEFAULT_HUB_BLOB_MAX_BYTES;
  const idle = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const pinned = opts.ca !== undefined ? new Agent({ connect: { ca: opts.ca } }) : undefined;
  return async (digest) => {
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
  };

  async function fetchFrom(base: string, digest: string): Promise<Uint8Array> {
    const what = `blob ${digest} from the hub`;
    const deadline = AbortSignal.timeout(deadlineMs);
    try {
      const res = await request(`${base}${BLOB_PATH}/${digest}`, {
        method: 'GET',
        headers: opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` },
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher() } : pinned ? { dispatcher: pinned } : {}),
        signal: deadline,
        headersTimeout: idle,
        bodyTimeout: idle,
      });
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        throw new HubBlobError(`${what}: the hub answered ${res.statusCode}`, res.statusCode === 404);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        throw new HubBlobError(
          `${what}: ${formatBytes(declared)} is more than the ${formatBytes(maxBytes)} a node accepts`,
        );
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          res.body.destroy();
          throw new HubBlobError(`${what}: more than the ${formatBytes(maxBytes)} a node accepts`);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, total);
    } catch (err) {
      if (err instanceof HubBlobError) throw err;
      if (deadline.aborted) throw new HubBlobError(`${what}: not received within ${deadlineMs} ms`);
      throw new HubBlobError(`${what}: ${errorMessage(err)}`, true);
    }
  }
}

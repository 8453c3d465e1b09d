/**
 * Blob replication between hubs (issue 19: "any hub can serve any component"). Each hub keeps its own
 * content store on its own disk; this keeps them in step over the hubs' HTTPS listeners, with mutual TLS
 * (HubPeerIdentity) and the digest checked on every copy:
 *
 * - push: an upload is offered to every live peer (HEAD, then POST when the peer lacks it) before the
 *   upload is acknowledged, so a component uploaded through hub A is on B and C when `edgectl apply`
 *   returns, and survives A's loss;
 * - pull-through: a hub asked for a blob it lacks (a peer was down during the upload, or joined later)
 *   fetches it from a live peer, stores it verified and serves it.
 *
 * The peer routes (`PEER_BLOB_PATH`) read and write the local store only, so neither ever bounces back.
 * A peer that is down is logged and skipped: the upload still succeeds on the hubs that are up.
 */
import { request, type Dispatcher } from 'undici';
import { errorMessage, type Logger } from '../../api/index.js';
import type { BlobStore } from './blob-store.js';
import type { BlobPeerSource } from './blob-types.js';

/** Where hubs read and write each other's content stores (non-resource URL, RBAC group `edgeplane:hubs`). */
export const PEER_BLOB_PATH = '/hub-peer/blobs';
/** Idle timeout: waiting for an answer's headers, and between two chunks of a body. */
const IDLE_TIMEOUT_MS = 30_000;
/** Deadline of one transfer (256 MiB at about 450 KiB/s), as a node's. */
const DEADLINE_MS = 10 * 60_000;

/** Options of {@link BlobPeers}. */
export interface BlobPeersOptions {
  store: BlobStore;
  /** Base URLs of the other live hubs (not this one). */
  peers: () => readonly string[];
  /** TLS with this hub's client certificate (HubPeerIdentity). */
  dispatcher: () => Promise<Dispatcher>;
  logger: Logger;
}

/** Replicates a hub's blob store to and from its peers. */
export class BlobPeers implements BlobPeerSource {
  readonly #o: BlobPeersOptions;
  /** Pulls under way by digest: concurrent misses of one blob fetch it once. */
  readonly #pulling = new Map<string, Promise<boolean>>();

  constructor(opts: BlobPeersOptions) {
    this.#o = opts;
  }

  pull(digest: `sha256:${string}`): Promise<boolean> {
    let p = this.#pulling.get(digest);
    if (p === undefined) {
      p = this.#pull(digest).finally(() => this.#pulling.delete(digest));
      this.#pulling.set(digest, p);
    }
    return p;
  }

  async push(digest: `sha256:${string}`): Promise<void> {
    await Promise.all(
      this.#o.peers().map(async (base) => {
        try {
          if (await this.#pushTo(base, digest))
            this.#o.logger.info({ digest, peer: base }, 'blob copied to a peer hub');
        } catch (err) {
          this.#o.logger.warn(
            { digest, peer: base, err: errorMessage(err) },
            'could not copy a blob to a peer hub (it pulls it when asked)',
          );
        }
      }),
    );
  }

  async #pull(digest: `sha256:${string}`): Promise<boolean> {
    for (const base of this.#o.peers()) {
      try {
        const res = await request(`${base}${PEER_BLOB_PATH}/${digest}`, await this.#requestOptions('GET'));
        if (res.statusCode !== 200) {
          await res.body.dump().catch(() => undefined);
          if (res.statusCode !== 404) throw new Error(`the peer answered ${res.statusCode}`);
          continue;
        }
        // Verified against the digest while it streams; a mismatch stores nothing and tries the next peer.
        await this.#o.store.put(res.body, { expectedDigest: digest, replica: true });
        this.#o.logger.info({ digest, peer: base }, 'blob fetched from a peer hub');
        return true;
      } catch (err) {
        this.#o.logger.warn({ digest, peer: base, err: errorMessage(err) }, 'could not fetch a blob from a peer hub');
      }
    }
    return false;
  }

  /** Copies the blob to `base` unless it has it; true when copied. */
  async #pushTo(base: string, digest: `sha256:${string}`): Promise<boolean> {
    const head = await request(`${base}${PEER_BLOB_PATH}/${digest}`, await this.#requestOptions('HEAD'));
    await head.body.dump().catch(() => undefined);
    if (head.statusCode === 200) return false;
    if (head.statusCode !== 404) throw new Error(`the peer answered ${head.statusCode}`);
    const blob = await this.#o.store.open(digest, { local: true });
    const res = await request(`${base}${PEER_BLOB_PATH}?digest=${digest}`, {
      ...(await this.#requestOptions('POST')),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: blob.stream,
    });
    await res.body.dump().catch(() => undefined);
    if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`the peer answered ${res.statusCode}`);
    return true;
  }

  async #requestOptions(method: 'GET' | 'HEAD' | 'POST') {
    return {
      method,
      dispatcher: await this.#o.dispatcher(),
      signal: AbortSignal.timeout(DEADLINE_MS),
      headersTimeout: IDLE_TIMEOUT_MS,
      bodyTimeout: IDLE_TIMEOUT_MS,
    };
  }
}

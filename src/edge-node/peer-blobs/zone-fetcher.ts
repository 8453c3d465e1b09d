/**
 * Peer-to-peer component fetch within a zone (issue 20): before downloading a blob from the hub, the
 * node asks the hub which Ready nodes of its zone hold it (`…/blobs/<digest>/sources`, from what nodes
 * report of their images) and fetches it from them in turn over the mesh's authentication, checking
 * the bytes against the digest. Any failure — no sources, a peer down, slow, refusing, or serving
 * bytes that do not hash — moves on to the next peer and finally to the hub (the fetcher it wraps),
 * so a peer can make a pull slower by at most its short timeouts, never wrong. The first node of a zone
 * pulls from the hub; the others from it: the hub's uplink carries each component about once per zone.
 * A transfer from a peer cut after some bytes resumes from there (`Range`) with the same peer, up to
 * `MAX_PEER_RESUMES` times while each try brings more; the digest is checked on the whole.
 *
 * A peer this node reaches only through the hub's relay (`relayed`) is not asked: its bytes would cross
 * the hub twice (in from the peer, out to this node) and uncompressed, where the hub's own copy crosses
 * once, brotli-encoded (the 13 MB JS component travels as ~3.3 MB).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../api/index.js';
import { BlobSources, errorMessage, formatBytes, isSha256Digest, type BlobSource } from '../../api/index.js';
import { PeerCutError, peerGet, type PeerConnect, type PeerGetLimits } from './peer-get.js';

/** Resumes of one peer's transfer after cuts that each brought some bytes. */
export const MAX_PEER_RESUMES = 5;

/** Dependencies of {@link zonePeerFetcher}. */
export interface ZonePeerFetcherDeps {
  /** The hub's answer to the sources query of `digest` (JSON, validated here); rejects when it fails. */
  sources(digest: string): Promise<unknown>;
  /** How to reach a peer's mesh server (its TLS options, or the mesh token in insecure-token mode). */
  connect: PeerConnect;
  /** Whether this node reaches `nodeName` only through the hub's relay now (the mesh's dialer): skipped. */
  relayed?: (nodeName: string) => boolean;
  /** The hub fetch, used when no peer delivers. */
  hub(digest: string): Promise<Uint8Array>;
  /** Largest blob accepted from a peer (the hub's upload maximum). */
  maxBytes: number;
  logger: Logger;
  /** Connect, headers and between-chunks timeout of a peer (default 3 s). */
  peerIdleMs?: number;
  /** Deadline of one peer's whole transfer (default 60 s: zone peers share a fast link). */
  peerDeadlineMs?: number;
  /** Longest wait for a zone peer downloading the blob from the hub (default 60 s), then the hub. */
  pendingWaitMs?: number;
  /** Interval of the sources query while a zone peer is downloading (default 500 ms). */
  pendingPollMs?: number;
  /** Counts where blobs came from (diagnostics, tests, the benchmark). */
  stats?: ZoneFetchStats;
}

/** Where this node's blobs came from. */
export interface ZoneFetchStats {
  fromPeers: number;
  peerBytes: number;
  fromHub: number;
  /** Peers tried that did not deliver (down, refused, wrong bytes). */
  peerFailures: number;
  /** Peer transfers resumed after a cut (absent until the first). */
  peerResumes?: number;
}

/** A fetch that asks the node's zone peers first, then the hub (see the file comment). */
export function zonePeerFetcher(deps: ZonePeerFetcherDeps): (digest: string) => Promise<Uint8Array> {
  const idleMs = deps.peerIdleMs ?? 3_000;
  const deadlineMs = deps.peerDeadlineMs ?? 60_000;
  const pendingWaitMs = deps.pendingWaitMs ?? 60_000;
  const pollMs = deps.pendingPollMs ?? 500;
  return async (digest) => {
    if (isSha256Digest(digest)) {
      for (const peer of await sourcesOf(digest)) {
        try {
          const bytes = await fromPeer(peer, digest, { idleMs, deadlineMs, maxBytes: deps.maxBytes });
          const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
          if (actual !== digest) throw new Error(`its bytes hash to ${actual}`);
          if (deps.stats) {
            deps.stats.fromPeers++;
            deps.stats.peerBytes += bytes.byteLength;
          }
          deps.logger.info(
            { digest, peer: peer.nodeName, bytes: formatBytes(bytes.byteLength) },
            'blob fetched from a zone peer',
          );
          return bytes;
        } catch (err) {
          if (deps.stats) deps.stats.peerFailures++;
          deps.logger.warn(
            { digest, peer: peer.nodeName, err: errorMessage(err) },
            'zone peer skipped; trying the next source',
          );
        }
      }
    }
    const bytes = await deps.hub(digest);
    if (deps.stats) deps.stats.fromHub++;
    return bytes;
  };

  /** The whole blob from one peer, resumed after cuts that brought something (not yet checked). */
  async function fromPeer(peer: BlobSource, digest: string, limits: PeerGetLimits): Promise<Buffer> {
    let parts: Buffer[] = [];
    let have = 0;
    for (let resumes = 0; ; resumes++) {
      try {
        const got = await peerGet(peer, digest, deps.connect, limits, have);
        // A peer that ignored the range sent the whole blob.
        return got.start === 0 ? got.bytes : Buffer.concat([...parts, got.bytes]);
      } catch (err) {
        if (!(err instanceof PeerCutError) || err.received.bytes.byteLength === 0 || resumes >= MAX_PEER_RESUMES)
          throw err;
        if (err.received.start === 0) parts = [];
        parts.push(err.received.bytes);
        have = err.received.start + err.received.bytes.byteLength;
        if (deps.stats) deps.stats.peerResumes = (deps.stats.peerResumes ?? 0) + 1;
        deps.logger.info({ digest, peer: peer.nodeName, have: formatBytes(have) }, 'zone peer transfer cut; resuming');
      }
    }
  }

  /**
   * The zone peers to try. While none holds the blob but one is downloading it from the hub
   * (`pending`), asks again every `pendingPollMs` for up to `pendingWaitMs`: then that peer serves it.
   */
  async function sourcesOf(digest: string): Promise<BlobSource[]> {
    const waitUntil = Date.now() + pendingWaitMs;
    for (;;) {
      try {
        const parsed = BlobSources.safeParse(await deps.sources(digest));
        if (!parsed.success) throw new Error('the answer is not a list of sources');
        const { sources, pending } = parsed.data;
        const direct = sources.filter((p) => deps.relayed?.(p.nodeName) !== true);
        if (direct.length < sources.length)
          deps.logger.debug(
            { digest, relayed: sources.length - direct.length },
            'zone peers reached only through the hub are not asked',
          );
        // Holders that are all relayed: the hub, at once (waiting for a pending one would not help them).
        if (sources.length > 0 || pending !== true || Date.now() >= waitUntil) return direct;
      } catch (err) {
        // An older hub (404), a hub without nodes' images, a timeout: the hub serves the bytes as before.
        deps.logger.debug({ digest, err: errorMessage(err) }, 'no zone sources; fetching from the hub');
        return [];
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

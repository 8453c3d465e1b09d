/**
 * The sources query of peer-to-peer distribution (issue 20, `src/api/blob-sources.ts`): which nodes of
 * the caller's zone hold blob `<digest>`, read from what nodes report of their images (`status.images`
 * lists a node's component digests, the scheduler's ImageLocality reads the same). Only Ready nodes with
 * a mesh endpoint, never the caller, at most `MAX_BLOB_SOURCES`, in random order so one holder does not
 * serve a whole zone. A caller with no zone, or none of whose zone holds it, gets an empty list and asks
 * the hub for the bytes. Node restriction applies as to the blob itself (a node may ask only about the
 * blobs its own pods run: `blobRead` reads this path as a read of `<digest>`).
 */
import type { Context, Hono } from 'hono';
import {
  BLOB_PATH,
  BLOB_SOURCES_SUFFIX,
  BadRequestError,
  MAX_BLOB_SOURCES,
  isSha256Digest,
  nodeAddress,
  nodeReadyStatus,
  type BlobSource,
  type BlobSources,
  type Node,
} from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { ApiEnv } from './types.js';

/** How long the first asker of a zone holds its claim on a download (see the route). */
const CLAIM_MS = 30_000;

/** The zone labels, the well-known one first (as the gateway's Service routes read them). */
const ZONE_LABELS = ['topology.kubernetes.io/zone', 'zone'] as const;

/** A node's zone, undefined when it has none. */
export function nodeZone(node: Node | undefined): string | undefined {
  for (const l of ZONE_LABELS) {
    const z = node?.metadata.labels?.[l];
    if (z) return z;
  }
  return undefined;
}

/** The holders of `digest` in `caller`'s zone (see the file comment); `random` orders them (tests pass their own). */
export function blobSources(
  nodes: readonly Node[],
  caller: Node | undefined,
  digest: string,
  random: () => number = Math.random,
): BlobSource[] {
  const zone = nodeZone(caller);
  if (zone === undefined) return [];
  const out: { s: BlobSource; r: number }[] = [];
  for (const n of nodes) {
    const name = n.metadata.name;
    if (!name || name === caller?.metadata.name || nodeZone(n) !== zone) continue;
    if (nodeReadyStatus(n) !== 'True') continue;
    if (!n.status?.images?.some((i) => i.names?.includes(digest))) continue;
    const address = nodeAddress(n);
    const meshPort = n.status.daemonEndpoints?.kubeletEndpoint?.Port;
    if (address === undefined || meshPort === undefined) continue;
    out.push({ s: { nodeName: name, address, meshPort }, r: random() });
  }
  return out
    .sort((a, b) => a.r - b.r)
    .slice(0, MAX_BLOB_SOURCES)
    .map((x) => x.s);
}

/** Mounts `GET {BLOB_PATH}/<digest>/sources` (behind the app's authentication and authorisation). */
export function mountBlobSourceRoute(
  app: Hono<ApiEnv>,
  nodes: Pick<Informer<Node>, 'get' | 'list'>,
  fetches?: BlobFetchTracker,
): void {
  app.get(`${BLOB_PATH}/:digest${BLOB_SOURCES_SUFFIX}`, (c: Context<ApiEnv>) => {
    const digest = c.req.param('digest') ?? '';
    if (!isSha256Digest(digest))
      throw new BadRequestError(`invalid digest "${digest.slice(0, 80)}": expected sha256:<64 lower-case hex digits>`);
    // A node names itself by its certificate; a plain-HTTP hub's nodes share one token and say who they are.
    const who = c.var.principal;
    const name = who.kind === 'node' && who.name !== undefined ? who.name : c.req.query('node');
    const caller = name === undefined ? undefined : nodes.get(undefined, name);
    const sources = blobSources(nodes.list(), caller, digest);
    const pending = sources.length === 0 && fetches?.pending(caller, digest) === true;
    // Nodes of a zone starting the same pod at once all ask before any has begun its download: the
    // first one told "nobody" claims the download (for CLAIM_MS, or until a holder is known), so the
    // others are told `pending` and wait for its copy instead of each taking one from the hub.
    if (sources.length === 0 && !pending && caller?.metadata.name !== undefined)
      fetches?.begin(caller.metadata.name, digest, CLAIM_MS);
    const answer: BlobSources = { digest, sources, ...(pending ? { pending } : {}) };
    return c.json(answer);
  });
}

/**
 * The downloads of blobs from this hub in progress, by digest and zone of the node downloading (a
 * node named by its certificate): the sources query says `pending` while one runs for the caller's
 * zone, so the zone's other nodes wait for that copy instead of each taking their own. An entry ends
 * with its download (whole or cut), or after `maxMs` whatever happens, so a wait is always bounded.
 */
export class BlobFetchTracker {
  /** By `<digest> <zone>`: the entries (node and end time) by a token unique to each begin. */
  readonly #running = new Map<string, Map<string, { node: string; until: number }>>();

  constructor(
    private readonly nodes: Pick<Informer<Node>, 'get'>,
    private readonly maxMs = 120_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Node `nodeName` starts downloading `digest` (for at most `forMs`); returns what to call when it ends. */
  begin(nodeName: string | undefined, digest: string, forMs = this.maxMs): () => void {
    if (nodeName === undefined) return () => undefined;
    const zone = nodeZone(this.nodes.get(undefined, nodeName));
    if (zone === undefined) return () => undefined;
    const key = `${digest} ${zone}`;
    const byNode = this.#running.get(key) ?? new Map<string, { node: string; until: number }>();
    this.#running.set(key, byNode);
    const token = `${nodeName} ${this.now()} ${Math.random()}`;
    byNode.set(token, { node: nodeName, until: this.now() + forMs });
    return () => {
      byNode.delete(token);
      // The map may have been dropped already (all its entries expired) and another begun since.
      if (byNode.size === 0 && this.#running.get(key) === byNode) this.#running.delete(key);
    };
  }

  /**
   * Whether another node of `caller`'s zone is downloading `digest` now. The caller's own entries do
   * not count: a node whose download was cut and which asks again must not wait for itself.
   */
  pending(caller: Node | undefined, digest: string): boolean {
    const zone = nodeZone(caller);
    const key = `${digest} ${zone}`;
    const byNode = zone === undefined ? undefined : this.#running.get(key);
    if (!byNode) return false;
    const now = this.now();
    for (const [token, entry] of byNode) if (entry.until <= now) byNode.delete(token);
    if (byNode.size === 0) this.#running.delete(key);
    const self = caller?.metadata.name;
    for (const entry of byNode.values()) if (entry.node !== self) return true;
    return false;
  }
}

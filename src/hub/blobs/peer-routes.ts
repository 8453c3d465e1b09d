/**
 * The routes hubs copy blobs through (BlobPeers): GET/HEAD a blob of this hub's own disk (never pulled
 * from another hub: that is what the caller is doing) and POST one a peer pushes (stored, verified
 * against `?digest=`, never pushed on). Only the group `edgeplane:hubs` may use them (RBAC).
 */
import { Readable } from 'node:stream';
import type { Hono, Env } from 'hono';
import { BadRequestError, isSha256Digest } from '../../api/index.js';
import { PEER_BLOB_PATH } from './blob-peers.js';
import type { BlobStore } from './blob-store.js';

function checkDigest(digest: string | undefined): `sha256:${string}` {
  if (digest === undefined || !isSha256Digest(digest))
    throw new BadRequestError(`invalid digest "${digest ?? ''}": expected sha256:<64 lower-case hex digits>`);
  return digest;
}

/** Mounts the peer blob routes on `app` (behind its authentication and authorisation). */
export function mountPeerBlobRoutes<E extends Env>(app: Hono<E>, blobs: BlobStore): void {
  app.post(PEER_BLOB_PATH, async (c) => {
    const digest = checkDigest(c.req.query('digest'));
    const r = await blobs.put(c.req.raw.body ?? new Uint8Array(0), { expectedDigest: digest, replica: true });
    return c.json({ digest: r.digest, size: r.size }, r.created ? 201 : 200);
  });
  app.on(['GET', 'HEAD'], `${PEER_BLOB_PATH}/:digest`, async (c) => {
    const digest = checkDigest(c.req.param('digest'));
    const headers = (size: number): Record<string, string> => ({
      'content-type': 'application/octet-stream',
      'content-length': String(size),
      'docker-content-digest': digest,
    });
    if (c.req.method === 'HEAD') return c.body(null, 200, headers(await blobs.size(digest, { local: true })));
    const blob = await blobs.open(digest, { local: true });
    return c.body(Readable.toWeb(blob.stream) as ReadableStream<Uint8Array>, 200, headers(blob.size));
  });
}

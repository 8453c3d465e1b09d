/**
 * The content store over HTTP, per `src/api/content.ts`: POST a blob (413 past the per-upload limit,
 * 507 past the store's quota, both while the body streams), GET/HEAD it by digest.
 */
import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import { BLOB_PATH, BadRequestError, RequestTooLargeError, isSha256Digest, type BlobRef } from '../../api/index.js';
import type { BlobStore } from '../blobs/index.js';
import type { ApiEnv } from './types.js';

function checkDigest(digest: string): string {
  if (!isSha256Digest(digest))
    throw new BadRequestError(`invalid digest "${digest}": expected sha256:<64 lower-case hex digits>`);
  return digest;
}

/** Mounts the blob routes on `app`. */
export function mountBlobRoutes(app: Hono<ApiEnv>, blobs: BlobStore): void {
  app.post(BLOB_PATH, async (c) => {
    // Refused before a byte is read when the declared size says so; otherwise while streaming.
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (declared > blobs.maxBytes)
      throw new RequestTooLargeError(
        `blob of ${declared} bytes exceeds the limit of ${blobs.maxBytes} bytes per upload`,
      );
    if (declared > 0) blobs.checkRoom(declared);
    // Optional `?digest=sha256:…`: the upload is verified against it and refused (400) if it differs.
    const expected = c.req.query('digest');
    const body = c.req.raw.body;
    const r = await blobs.put(
      body ?? new Uint8Array(0),
      expected === undefined ? {} : { expectedDigest: checkDigest(expected) },
    );
    const ref: BlobRef = { digest: r.digest, size: r.size };
    return c.json(ref, r.created ? 201 : 200);
  });
  app.on(['GET', 'HEAD'], `${BLOB_PATH}/:digest`, async (c) => {
    const digest = checkDigest(c.req.param('digest'));
    const headers = (size: number): Record<string, string> => ({
      'content-type': 'application/octet-stream',
      'content-length': String(size),
      'docker-content-digest': digest,
      etag: `"${digest}"`,
      'cache-control': 'public, max-age=31536000, immutable',
    });
    if (c.req.method === 'HEAD') return c.body(null, 200, headers(await blobs.size(digest)));
    const blob = await blobs.open(digest);
    return c.body(Readable.toWeb(blob.stream) as ReadableStream<Uint8Array>, 200, headers(blob.size));
  });
}

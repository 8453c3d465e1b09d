/**
 * The content store over HTTP, per `src/api/content.ts`: POST a blob (413 past the per-upload limit,
 * 507 past the store's quota, both while the body streams), GET/HEAD it by digest — compressed when the
 * client accepts it, and by range so an interrupted download resumes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import {
  BLOB_PATH,
  BadRequestError,
  RequestTooLargeError,
  isSha256Digest,
  requestedRange,
  type BlobRef,
} from '../../api/index.js';
import type { BlobStore } from '../blobs/index.js';
import { BLOB_WIRE_ENCODING, type BlobEncodings } from './blob-encodings.js';
import { acceptsEncoding } from './blob-range.js';
import type { BlobFetchTracker } from './blob-sources.js';
import type { ApiEnv } from './types.js';

function checkDigest(digest: string): string {
  if (!isSha256Digest(digest))
    throw new BadRequestError(`invalid digest "${digest}": expected sha256:<64 lower-case hex digits>`);
  return digest;
}

/**
 * Mounts the blob routes on `app`. With `encodings`, a GET that accepts `br` gets the blob's cached brotli
 * form (see blob-encodings.ts); a single `Range` (with `If-Range`) is served on either form.
 */
export function mountBlobRoutes(
  app: Hono<ApiEnv>,
  blobs: BlobStore,
  encodings?: BlobEncodings,
  fetches?: BlobFetchTracker,
): void {
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
      'accept-ranges': 'bytes',
      ...(encodings ? { vary: 'Accept-Encoding' } : {}),
    });
    if (c.req.method === 'HEAD') return c.body(null, 200, headers(await blobs.size(digest)));
    const size = await blobs.size(digest);
    const encoded = acceptsEncoding(c.req.header('accept-encoding'), BLOB_WIRE_ENCODING)
      ? await encodings?.encoded(digest, size, () => blobs.open(digest))
      : undefined;
    // The encoded form is a file of its own: ranges (a resume) are ranges of it, under its own ETag.
    const rep: { size: number; etag: string; extra: Record<string, string> } = encoded
      ? { size: encoded.size, etag: encoded.etag, extra: { 'content-encoding': BLOB_WIRE_ENCODING } }
      : { size, etag: `"${digest}"`, extra: {} };
    const range = requestedRange(c.req.header('range'), c.req.header('if-range'), rep.etag, rep.size);
    const base: Record<string, string> = { ...headers(rep.size), etag: rep.etag, ...rep.extra };
    if (range === 'unsatisfiable')
      return c.body(null, 416, { ...base, 'content-length': '0', 'content-range': `bytes */${rep.size}` });
    const { start, end } = range ?? { start: 0, end: rep.size - 1 };
    const stream = encoded
      ? createReadStream(encoded.path, { start, end })
      : slice((await blobs.open(digest)).stream, start, end);
    // A node's download is known while it runs: its zone's peers wait for that copy (blob-sources.ts).
    const who = c.var.principal;
    const done = fetches?.begin(who.kind === 'node' ? who.name : undefined, digest);
    const body = Readable.toWeb(Readable.from(done ? tracked(stream, done) : stream)) as ReadableStream<Uint8Array>;
    if (range === undefined) return c.body(body, 200, base);
    return c.body(body, 206, {
      ...base,
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${rep.size}`,
    });
  });
}

/** `source`, calling `done` once it ends, fails or is abandoned. */
async function* tracked(source: AsyncIterable<Buffer>, done: () => void): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } finally {
    done();
  }
}

/** The bytes `start`..`end` (inclusive) of `source`, which is read from its beginning. */
async function* slice(source: AsyncIterable<Buffer>, start: number, end: number): AsyncGenerator<Buffer> {
  let at = 0;
  for await (const chunk of source) {
    const from = Math.max(0, start - at);
    const to = Math.min(chunk.byteLength, end + 1 - at);
    at += chunk.byteLength;
    if (to > from) yield from === 0 && to === chunk.byteLength ? chunk : chunk.subarray(from, to);
    if (at > end) break;
  }
}

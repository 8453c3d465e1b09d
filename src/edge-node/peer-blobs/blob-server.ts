/**
 * A node serving the components it holds to the peers of its zone (issue 20), on its mesh port behind
 * the mesh's own authentication (mutual TLS with node certificates, or the mesh token on a plain-HTTP
 * hub). Read-only: GET and HEAD of `PEER_BLOB_MESH_PATH<digest>`, answered only for a component this
 * node has on disk and has checked against its digest (in this process); anything else is 404, and the
 * peer asks the hub. Identity-encoded: peers of one zone share a fast link, and the fetching node
 * verifies the digest itself. A single `Range` is served (206), so a fetch cut mid-way resumes from
 * where it stopped; the ETag is the digest (the bytes can never change), which `If-Range` names.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { PEER_BLOB_MESH_PATH, errorMessage, isSha256Digest, requestedRange, type Logger } from '../../api/index.js';
import type { MeshBlobHandler } from '../mesh/index.js';

/** Dependencies of {@link peerBlobHandler}. */
export interface PeerBlobServerDeps {
  /** The file of blob `digest` when this node holds it whole (the Wasm runtime's component store). */
  heldPath(digest: string): Promise<string | undefined>;
  logger: Logger;
  /** Counts what was served (diagnostics, tests, the benchmark). */
  stats?: PeerBlobServerStats;
}

/** What a node served its peers. */
export interface PeerBlobServerStats {
  served: number;
  bytes: number;
}

function text(res: ServerResponse, code: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...extra });
  res.end(`${body}\n`);
}

/** The mesh server's handler of blob requests (see the file comment). */
export function peerBlobHandler(deps: PeerBlobServerDeps): MeshBlobHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return text(res, 405, `mesh: blobs are read-only (GET, HEAD), not ${req.method ?? ''}`, { allow: 'GET, HEAD' });
    const digest = decodeURIComponent((req.url ?? '').slice(PEER_BLOB_MESH_PATH.length).split('?')[0] ?? '');
    if (!isSha256Digest(digest))
      return text(
        res,
        400,
        `mesh: invalid digest "${digest.slice(0, 80)}": expected sha256:<64 lower-case hex digits>`,
      );
    const path = await deps.heldPath(digest);
    const size =
      path === undefined
        ? undefined
        : await stat(path).then(
            (s) => s.size,
            () => undefined,
          );
    if (path === undefined || size === undefined) return text(res, 404, `mesh: this node does not hold ${digest}`);
    const etag = `"${digest}"`;
    const base = { 'docker-content-digest': digest, etag, 'accept-ranges': 'bytes' };
    const range = requestedRange(header(req.headers.range), header(req.headers['if-range']), etag, size);
    if (range === 'unsatisfiable')
      return text(res, 416, `mesh: ${digest} has ${size} bytes`, { ...base, 'content-range': `bytes */${size}` });
    const { start, end } = range ?? { start: 0, end: size - 1 };
    res.writeHead(range ? 206 : 200, {
      ...base,
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    try {
      await pipeline(createReadStream(path, { start, end }), res);
      if (deps.stats) {
        deps.stats.served++;
        deps.stats.bytes += end - start + 1;
      }
    } catch (err) {
      // The peer went away mid-way, or the file did: the peer's digest check sees the short body.
      deps.logger.debug({ digest, err: errorMessage(err) }, 'blob not fully served to a peer');
      res.destroy();
    }
  };
}

/** A request header's single value (the first of repeated ones). */
function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * One GET of a blob from a peer's mesh server, bounded: a connect, headers and between-chunks timeout,
 * a deadline for the whole transfer, and a size bound checked while streaming — a peer that hangs or
 * sends too much costs seconds and is skipped. With mTLS the peer's certificate must be the named node's
 * (the mesh's own client options); in insecure-token mode the mesh token goes as a bearer token. A GET
 * from an offset asks for the rest (`Range`, with `If-Range` naming the digest the peer uses as its
 * ETag); a transfer cut after some bytes rejects with them (`PeerCutError`), so the caller can resume.
 */
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { PEER_BLOB_MESH_PATH, formatBytes, type BlobSource } from '../../api/index.js';

/** How to reach peer `nodeName`'s mesh server. */
export type PeerConnect = (nodeName: string) => { tls: ConnectionOptions } | { token: string } | undefined;

/** Bounds of one peer GET. */
export interface PeerGetLimits {
  idleMs: number;
  deadlineMs: number;
  maxBytes: number;
}

/** Bytes of a blob from offset `start` on (0: the whole blob). */
export interface PeerBytes {
  start: number;
  bytes: Buffer;
}

/** The transfer was cut after `received.bytes` arrived (from `received.start`): resumable from there. */
export class PeerCutError extends Error {
  constructor(
    message: string,
    readonly received: PeerBytes,
  ) {
    super(message);
    this.name = 'PeerCutError';
  }
}

/**
 * The bytes of `digest` from `peer`, from offset `from` on (not yet checked against the digest: the
 * caller does). A peer that ignores the range answers the whole blob: the result says where it starts.
 */
export function peerGet(
  peer: BlobSource,
  digest: string,
  connect: PeerConnect,
  limits: PeerGetLimits,
  from = 0,
): Promise<PeerBytes> {
  const how = connect(peer.nodeName);
  if (how === undefined) return Promise.reject(new Error('no mesh credentials yet'));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = from > 0 ? { range: `bytes=${from}-`, 'if-range': `"${digest}"` } : {};
    const common = {
      host: peer.address,
      port: peer.meshPort,
      path: `${PEER_BLOB_MESH_PATH}${digest}`,
      method: 'GET',
      agent: false as const,
      timeout: limits.idleMs,
    };
    const req =
      'tls' in how
        ? https.request({ ...common, headers, ...how.tls })
        : http.request({ ...common, headers: { ...headers, authorization: `Bearer ${how.token}` } });
    const deadline = setTimeout(
      () => req.destroy(new Error(`not received within ${limits.deadlineMs} ms`)),
      limits.deadlineMs,
    );
    const fail = (err: Error): void => {
      clearTimeout(deadline);
      reject(err);
    };
    req.on('timeout', () => req.destroy(new Error(`no progress for ${limits.idleMs} ms`)));
    req.on('error', fail);
    req.on('response', (res) => {
      // 206 only for the range asked; a 200 is the whole blob (a peer that ignores ranges).
      const start = res.statusCode === 206 ? rangeStart(res.headers['content-range']) : 0;
      if ((res.statusCode !== 200 && res.statusCode !== 206) || (res.statusCode === 206 && start !== from)) {
        res.resume();
        req.destroy();
        return fail(
          new Error(`the peer answered ${res.statusCode ?? 0}${res.statusCode === 206 ? ' for another range' : ''}`),
        );
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && start + declared > limits.maxBytes) {
        req.destroy();
        return fail(
          new Error(`${formatBytes(start + declared)} is more than the ${formatBytes(limits.maxBytes)} a node accepts`),
        );
      }
      const chunks: Buffer[] = [];
      let got = 0;
      const cut = (why: string): void =>
        fail(new PeerCutError(`cut after ${formatBytes(start + got)}${why}`, { start, bytes: Buffer.concat(chunks) }));
      res.on('data', (c: Buffer) => {
        got += c.byteLength;
        if (start + got > limits.maxBytes) {
          req.destroy(new Error(`more than the ${formatBytes(limits.maxBytes)} a node accepts`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => (got > 0 ? cut(`: ${err.message}`) : fail(err)));
      res.on('aborted', () => cut(''));
      res.on('end', () => {
        clearTimeout(deadline);
        if (Number.isFinite(declared) && got !== declared) return cut(` of ${formatBytes(start + declared)}`);
        resolve({ start, bytes: Buffer.concat(chunks) });
      });
    });
    req.end();
  });
}

/** The first byte of a `Content-Range: bytes a-b/n`; NaN when it is not one. */
function rangeStart(v: string | undefined): number {
  const m = /^bytes (\d+)-\d+\/\d+$/.exec(v?.trim() ?? '');
  return m ? Number(m[1]) : Number.NaN;
}

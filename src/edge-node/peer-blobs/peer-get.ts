/**
 * One GET of a blob from a peer's mesh server, bounded: a connect, headers and between-chunks timeout,
 * a deadline for the whole transfer, and a size bound checked while streaming — a peer that hangs or
 * sends too much costs seconds and is skipped. With mTLS the peer's certificate must be the named node's
 * (the mesh's own client options); in insecure-token mode the mesh token goes as a bearer token.
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

/** The bytes of `digest` from `peer` (not yet checked against the digest: the caller does). */
export function peerGet(
  peer: BlobSource,
  digest: string,
  connect: PeerConnect,
  limits: PeerGetLimits,
): Promise<Buffer> {
  const how = connect(peer.nodeName);
  if (how === undefined) return Promise.reject(new Error('no mesh credentials yet'));
  return new Promise((resolve, reject) => {
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
        ? https.request({ ...common, ...how.tls })
        : http.request({ ...common, headers: { authorization: `Bearer ${how.token}` } });
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
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        return fail(new Error(`the peer answered ${res.statusCode ?? 0}`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        req.destroy();
        return fail(
          new Error(`${formatBytes(declared)} is more than the ${formatBytes(limits.maxBytes)} a node accepts`),
        );
      }
      const chunks: Buffer[] = [];
      let got = 0;
      res.on('data', (c: Buffer) => {
        got += c.byteLength;
        if (got > limits.maxBytes) {
          req.destroy(new Error(`more than the ${formatBytes(limits.maxBytes)} a node accepts`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error(`cut after ${formatBytes(got)}`)));
      res.on('end', () => {
        clearTimeout(deadline);
        if (Number.isFinite(declared) && got !== declared)
          return reject(new Error(`cut after ${formatBytes(got)} of ${formatBytes(declared)}`));
        resolve(Buffer.concat(chunks));
      });
    });
    req.end();
  });
}

/** Small HTTP helpers shared by the NodePort proxy and the mesh server. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { WorkloadResponse } from '../../api/index.js';

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1), plus the ones we recompute. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'content-length', 'expect', 'http2-settings']);

/** A request read completely (workload bodies are whole, see the Runtime contract). */
export interface BufferedRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** `host[:port]` the client addressed. */
  authority: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  clientIp: string;
}

/** The request body was larger than allowed. */
export class BodyTooLargeError extends Error {}

/** Reads a whole request; rejects with BodyTooLargeError beyond `limit` bytes. */
export async function readRequest(req: IncomingMessage, limit: number): Promise<BufferedRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    authority: req.headers.host ?? '',
    headers: forwardableHeaders(req.headers),
    body: Buffer.concat(chunks),
    clientIp: req.socket.remoteAddress ?? '',
  };
}

/** Drops hop-by-hop headers (and those named in `Connection`). */
export function forwardableHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(key) || named.has(key)) continue;
    out[key] = v;
  }
  return out;
}

/** Appends the client to `x-forwarded-for`. */
export function withForwardedFor(headers: Record<string, string | string[]>, clientIp: string): Record<string, string | string[]> {
  const prev = headers['x-forwarded-for'];
  const prior = Array.isArray(prev) ? prev.join(', ') : prev;
  return { ...headers, 'x-forwarded-for': prior ? `${prior}, ${clientIp}` : clientIp };
}

/** Headers as the pairs a workload request carries. */
export function headerPairs(headers: Record<string, string | string[]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) out.push([k, one]);
  return out;
}

/** Answers with a plain-text message (no-op when the response already started). */
export function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, ...extra });
  res.end(body);
}

/** Writes a workload's in-memory response. */
export function writeWorkloadResponse(res: ServerResponse, wr: WorkloadResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of wr.headers) {
    const key = k.toLowerCase();
    if (HOP_BY_HOP.has(key)) continue;
    const prev = headers[key];
    headers[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  headers['content-length'] = String(wr.body.byteLength);
  res.writeHead(wr.status, headers);
  res.end(wr.body);
}

/** Streams an upstream (undici) response to the client; a client abort ends the upstream body too. */
export async function pipeUpstream(res: ServerResponse, up: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: Readable }): Promise<void> {
  const headers = forwardableHeaders(up.headers);
  const length = up.headers['content-length'];
  if (typeof length === 'string' && up.headers['transfer-encoding'] === undefined) headers['content-length'] = length;
  res.writeHead(up.statusCode, headers);
  try {
    await pipeline(up.body, res);
  } catch {
    // The client went away or the upstream broke mid-body: nothing left to answer.
    up.body.destroy();
    res.destroy();
  }
}

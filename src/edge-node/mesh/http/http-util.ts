/**
 * Small HTTP helpers shared by the NodePort proxy and the mesh server. Headers travel as Node's flat
 * raw form (`[name, value, name, value, ...]`, names lower-cased here): one pass over `rawHeaders`
 * instead of building and copying header objects on every hop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkloadResponse } from '../../../api/index.js';
import { RequestBody } from './request-body.js';

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1), plus the ones we recompute. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
  'content-length',
  'expect',
  'http2-settings',
]);

/** A request on its way through the node: its head, and its body as a stream or in memory. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** `host[:port]` the client addressed. */
  authority: string;
  /** Forwardable headers, flat; names lower-case. */
  headers: string[];
  body: RequestBody;
  clientIp: string;
}

/** The head of a client request, its body left to stream (at most `limit` bytes). */
export function proxiedRequest(req: IncomingMessage, limit: number): ProxiedRequest {
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    authority: req.headers.host ?? '',
    headers: forwardableHeaders(req.rawHeaders),
    clientIp: req.socket.remoteAddress ?? '',
    body: RequestBody.from(req, limit),
  };
}

/** Drops hop-by-hop headers (and those named in `Connection`) from Node's raw headers; lower-cases names. */
export function forwardableHeaders(raw: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      named ??= new Set();
      for (const n of raw[i + 1]!.toLowerCase().split(',')) if (n.trim()) named.add(n.trim());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(key) || named?.has(key)) continue;
    out.push(key, raw[i + 1]!);
  }
  return out;
}

/** The value of `name` (lower-case) in flat headers, repeated values joined with `, `. */
export function headerValue(headers: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < headers.length; i += 2)
    if (headers[i] === name) value = value === undefined ? headers[i + 1] : `${value}, ${headers[i + 1]}`;
  return value;
}

/** `headers` without the given names. */
export function withoutHeaders(headers: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!names.has(headers[i]!)) out.push(headers[i]!, headers[i + 1]!);
  return out;
}

const XFF = new Set(['x-forwarded-for']);

/** Appends the client to `x-forwarded-for`. */
export function withForwardedFor(headers: readonly string[], clientIp: string): string[] {
  const prior = headerValue(headers, 'x-forwarded-for');
  const out = prior === undefined ? [...headers] : withoutHeaders(headers, XFF);
  out.push('x-forwarded-for', prior ? `${prior}, ${clientIp}` : clientIp);
  return out;
}

/** Flat headers as the pairs a workload request carries. */
export function headerPairs(headers: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < headers.length; i += 2) out.push([headers[i]!, headers[i + 1]!]);
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

/** Writes a workload's in-memory response (headers as a flat list: no header object is built). */
export function writeWorkloadResponse(res: ServerResponse, wr: WorkloadResponse): void {
  if (res.destroyed) return;
  const flat: string[] = [];
  for (const [k, v] of wr.headers) {
    if (HOP_BY_HOP.has(k.toLowerCase())) continue;
    flat.push(k, v);
  }
  flat.push('content-length', String(wr.body.byteLength));
  res.writeHead(wr.status, flat);
  res.end(wr.body);
}

/** Upstream (undici) response headers, forwardable, as a flat list for `writeHead`. */
export function upstreamHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  const connection = headers.connection;
  const named = new Set(
    String(Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined || (HOP_BY_HOP.has(key) && key !== 'content-length') || named.has(key)) continue;
    if (key === 'content-length' && headers['transfer-encoding'] !== undefined) continue;
    if (Array.isArray(v)) for (const one of v) out.push(key, one);
    else out.push(key, v);
  }
  return out;
}

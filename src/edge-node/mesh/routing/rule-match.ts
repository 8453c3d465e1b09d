/**
 * Which compiled HTTPRoute rule a request takes. The hub sends a route's rules already in Gateway API
 * precedence order (routes-compile.ts), so the first rule whose hostnames, path, method, headers and
 * query parameters all match wins; none matching is a 404.
 */
import type { CompiledMatch, CompiledRule } from '../../../api/index.js';
import { headerValue } from '../http/http-util.js';

/** What matching reads of a request. */
export interface MatchableRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** `host[:port]`. */
  authority: string;
  /** Flat headers, names lower-case. */
  headers: readonly string[];
}

/** The host of an authority, lower-case, without its port. */
export function hostOf(authority: string): string {
  const a = authority.toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.lastIndexOf(':');
  return colon < 0 ? a : a.slice(0, colon);
}

/** Whether `host` is served by `pattern` (exact, or `*.x` for any name ending in `.x`). */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  return pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
}

/** The path without its query, and its query parameters (first value of each name, as Gateway API's Exact match). */
export function splitPath(path: string): { pathname: string; query: URLSearchParams } {
  const q = path.indexOf('?');
  return q < 0
    ? { pathname: path, query: new URLSearchParams() }
    : { pathname: path.slice(0, q), query: new URLSearchParams(path.slice(q + 1)) };
}

/** Whether `pathname` matches a PathPrefix `prefix`: element-wise (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`). */
export function prefixMatches(prefix: string, pathname: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (p === '/') return true;
  return pathname === p || pathname.startsWith(`${p}/`);
}

function matchOne(m: CompiledMatch, req: MatchableRequest, pathname: string, query: () => URLSearchParams): boolean {
  if (m.path.type === 'Exact' ? pathname !== m.path.value : !prefixMatches(m.path.value, pathname)) return false;
  if (m.method !== undefined && m.method !== req.method.toUpperCase()) return false;
  for (const h of m.headers ?? []) if (headerValue(req.headers, h.name) !== h.value) return false;
  for (const q of m.queryParams ?? []) if (query().get(q.name) !== q.value) return false;
  return true;
}

/** The first rule `req` matches, or undefined (a 404). */
export function selectRule(rules: readonly CompiledRule[], req: MatchableRequest): CompiledRule | undefined {
  let host: string | undefined;
  const q = req.path.indexOf('?');
  const pathname = q < 0 ? req.path : req.path.slice(0, q);
  // The query is parsed only when a rule matches on it (most do not).
  let params: URLSearchParams | undefined;
  const query = (): URLSearchParams => (params ??= new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)));
  for (const rule of rules) {
    if (rule.hostnames) {
      host ??= hostOf(req.authority);
      const h = host;
      if (!rule.hostnames.some((p) => hostMatches(p, h))) continue;
    }
    if (matchOne(rule.match, req, pathname, query)) return rule;
  }
  return undefined;
}

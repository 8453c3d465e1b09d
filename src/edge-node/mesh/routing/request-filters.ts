/**
 * The HTTPRoute filters a node applies to a matched request: RequestHeaderModifier (set, add,
 * remove), URLRewrite (hostname; path: ReplaceFullPath or ReplacePrefixMatch) and RequestRedirect
 * (answered by the node itself, 302 unless 301 is asked for). Filters run in the order listed.
 */
import type { CompiledRule, HTTPPathModifier } from '../../../api/index.js';
import { prefixMatches, splitPath } from './rule-match.js';

/** The parts of a request filters change. */
export interface FilterableRequest {
  method: string;
  path: string;
  authority: string;
  headers: string[];
}

/** What filtering decided: forward the (changed) request, or answer with a redirect. */
export type FilterOutcome<R> = { kind: 'forward'; req: R } | { kind: 'redirect'; status: number; location: string };

function replacePath(mod: HTTPPathModifier, rule: CompiledRule, pathname: string): string {
  if (mod.type === 'ReplaceFullPath') return mod.replaceFullPath ?? '/';
  const prefix = rule.match.path.type === 'PathPrefix' ? rule.match.path.value : pathname;
  if (!prefixMatches(prefix, pathname)) return pathname;
  const trimmed = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const rest = trimmed === '/' ? pathname : pathname.slice(trimmed.length);
  const replacement = mod.replacePrefixMatch ?? '/';
  if (rest === '' || rest === '/')
    return rest === '/' && replacement !== '/' ? `${replacement.replace(/\/$/, '')}/` : replacement;
  return `${replacement.replace(/\/$/, '')}${rest.startsWith('/') ? rest : `/${rest}`}`;
}

function setHeader(headers: string[], name: string, value: string): string[] {
  const n = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] !== n) out.push(headers[i]!, headers[i + 1]!);
  out.push(n, value);
  return out;
}

/** Applies `rule`'s filters to `req` (a copy is returned; `req` is untouched). */
export function applyFilters<R extends FilterableRequest>(
  rule: CompiledRule,
  req: R,
  scheme: string,
): FilterOutcome<R> {
  let out: R = { ...req, headers: [...req.headers] };
  for (const f of rule.filters ?? []) {
    const { pathname, query } = splitPath(out.path);
    const qs = query.toString();
    if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier) {
      const m = f.requestHeaderModifier;
      let headers = out.headers;
      for (const h of m.set ?? []) headers = setHeader(headers, h.name, h.value);
      for (const h of m.add ?? []) {
        // `add` appends to an existing value (`a,b`), as Gateway API says.
        const n = h.name.toLowerCase();
        const i = headers.findIndex((x, j) => j % 2 === 0 && x === n);
        if (i < 0) headers = [...headers, n, h.value];
        else headers = setHeader(headers, n, `${headers[i + 1]!},${h.value}`);
      }
      const remove = new Set((m.remove ?? []).map((r) => r.toLowerCase()));
      if (remove.size > 0) headers = headers.filter((_, j, all) => !remove.has(all[j - (j % 2)]!));
      out = { ...out, headers };
    } else if (f.type === 'URLRewrite' && f.urlRewrite) {
      const u = f.urlRewrite;
      if (u.hostname) {
        // The authority is what reaches the backend; a host header the client sent says the same.
        const hasHost = out.headers.some((x, j) => j % 2 === 0 && x === 'host');
        out = {
          ...out,
          authority: u.hostname,
          headers: hasHost ? setHeader(out.headers, 'host', u.hostname) : out.headers,
        };
      }
      if (u.path) out = { ...out, path: replacePath(u.path, rule, pathname) + (qs ? `?${qs}` : '') };
    } else if (f.type === 'RequestRedirect' && f.requestRedirect) {
      const r = f.requestRedirect;
      const host = r.hostname ?? out.authority.replace(/:[0-9]+$/, '');
      const port = r.port !== undefined ? `:${r.port}` : r.hostname ? '' : (/:[0-9]+$/.exec(out.authority)?.[0] ?? '');
      const path = r.path ? replacePath(r.path, rule, pathname) : pathname;
      const location = `${r.scheme ?? scheme}://${host}${port}${path}${qs ? `?${qs}` : ''}`;
      return { kind: 'redirect', status: r.statusCode ?? 302, location };
    }
  }
  return { kind: 'forward', req: out };
}

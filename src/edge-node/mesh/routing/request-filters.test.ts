import { describe, expect, it } from 'vitest';
import type { CompiledRule, HTTPRouteFilter } from '../../../api/index.js';
import { applyFilters } from './request-filters.js';

const rule = (filters: HTTPRouteFilter[], prefix = '/api'): CompiledRule => ({
  route: 'default/r#0',
  match: { path: { type: 'PathPrefix', value: prefix } },
  filters,
  backends: [],
});
const req = {
  method: 'GET',
  path: '/api/items?x=1',
  authority: 'shop.local:8080',
  headers: ['x-old', 'a', 'x-keep', 'k'],
};

describe('HTTPRoute filters', () => {
  it('sets, adds and removes request headers', () => {
    const out = applyFilters(
      rule([
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: {
            set: [{ name: 'X-Set', value: 's' }],
            add: [
              { name: 'x-keep', value: 'more' },
              { name: 'x-new', value: 'n' },
            ],
            remove: ['X-Old'],
          },
        },
      ]),
      req,
      'http',
    );
    expect(out.kind).toBe('forward');
    if (out.kind !== 'forward') return;
    expect(out.req.headers).toEqual(['x-set', 's', 'x-keep', 'k,more', 'x-new', 'n']);
    expect(req.headers).toEqual(['x-old', 'a', 'x-keep', 'k']); // the original is untouched
  });

  it('rewrites the prefix or the full path, keeping the query, and the hostname', () => {
    const prefix = applyFilters(
      rule([
        {
          type: 'URLRewrite',
          urlRewrite: { hostname: 'backend.local', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } },
        },
      ]),
      req,
      'http',
    );
    expect(prefix).toMatchObject({ kind: 'forward', req: { path: '/v2/items?x=1', authority: 'backend.local' } });
    const root = applyFilters(
      rule([{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }]),
      req,
      'http',
    );
    expect(root).toMatchObject({ kind: 'forward', req: { path: '/items?x=1' } });
    const full = applyFilters(
      rule([{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/fixed' } } }]),
      req,
      'http',
    );
    expect(full).toMatchObject({ kind: 'forward', req: { path: '/fixed?x=1' } });
  });

  it('redirects with 302 by default, keeping what is not replaced', () => {
    expect(
      applyFilters(rule([{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }]), req, 'http'),
    ).toEqual({
      kind: 'redirect',
      status: 302,
      location: 'https://shop.local:8080/api/items?x=1',
    });
    expect(
      applyFilters(
        rule([
          {
            type: 'RequestRedirect',
            requestRedirect: {
              hostname: 'new.local',
              statusCode: 301,
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
            },
          },
        ]),
        req,
        'http',
      ),
    ).toEqual({ kind: 'redirect', status: 301, location: 'http://new.local/v2/items?x=1' });
  });
});

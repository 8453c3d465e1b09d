import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../../api/index.js';
import { hostOf, prefixMatches, selectRule } from './rule-match.js';

const rule = (route: string, match: Partial<CompiledRule['match']>, hostnames?: string[]): CompiledRule => ({
  route,
  ...(hostnames ? { hostnames } : {}),
  match: { path: { type: 'PathPrefix', value: '/' }, ...match },
  backends: [],
});
const req = (path: string, extra: { method?: string; headers?: string[]; authority?: string } = {}) => ({
  method: extra.method ?? 'GET',
  path,
  authority: extra.authority ?? 'example.com:8080',
  headers: extra.headers ?? [],
});

describe('rule matching', () => {
  it('PathPrefix matches whole path elements, Exact the whole path', () => {
    expect(prefixMatches('/foo', '/foo')).toBe(true);
    expect(prefixMatches('/foo', '/foo/bar')).toBe(true);
    expect(prefixMatches('/foo/', '/foo/bar')).toBe(true);
    expect(prefixMatches('/foo', '/foobar')).toBe(false);
    expect(prefixMatches('/', '/anything')).toBe(true);
    const rules = [rule('exact', { path: { type: 'Exact', value: '/a' } })];
    expect(selectRule(rules, req('/a'))?.route).toBe('exact');
    expect(selectRule(rules, req('/a?x=1'))?.route).toBe('exact');
    expect(selectRule(rules, req('/a/b'))).toBeUndefined();
  });

  it('matches method, every header (case-insensitive names) and every query parameter', () => {
    const rules = [
      rule('all', {
        method: 'POST',
        headers: [{ name: 'x-canary', value: 'yes' }],
        queryParams: [{ name: 'v', value: '2' }],
      }),
      rule('fallback', {}),
    ];
    expect(selectRule(rules, req('/p?v=2', { method: 'POST', headers: ['x-canary', 'yes'] }))?.route).toBe('all');
    expect(selectRule(rules, req('/p?v=2', { method: 'GET', headers: ['x-canary', 'yes'] }))?.route).toBe('fallback');
    expect(selectRule(rules, req('/p?v=3', { method: 'POST', headers: ['x-canary', 'yes'] }))?.route).toBe('fallback');
    expect(selectRule(rules, req('/p?v=2', { method: 'POST', headers: ['x-canary', 'no'] }))?.route).toBe('fallback');
  });

  it('filters by hostname, exact and wildcard, ignoring the port', () => {
    expect(hostOf('Example.COM:8080')).toBe('example.com');
    expect(hostOf('[::1]:80')).toBe('[::1]');
    const rules = [rule('exact', {}, ['a.example.com']), rule('wild', {}, ['*.example.com']), rule('any', {})];
    expect(selectRule(rules, req('/', { authority: 'a.example.com:80' }))?.route).toBe('exact');
    expect(selectRule(rules, req('/', { authority: 'b.example.com' }))?.route).toBe('wild');
    expect(selectRule(rules, req('/', { authority: 'example.com' }))?.route).toBe('any');
  });

  it('takes the first matching rule: the order the hub compiled by precedence', () => {
    const rules = [
      rule('long', { path: { type: 'PathPrefix', value: '/api/v2' } }),
      rule('short', { path: { type: 'PathPrefix', value: '/api' } }),
    ];
    expect(selectRule(rules, req('/api/v2/x'))?.route).toBe('long');
    expect(selectRule(rules, req('/api/v1/x'))?.route).toBe('short');
    expect(selectRule(rules, req('/other'))).toBeUndefined();
  });
});

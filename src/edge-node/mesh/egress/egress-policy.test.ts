import { describe, expect, it } from 'vitest';
import { egressAllowed, parseEgressPolicy } from './egress-policy.js';

const allowed = (value: string | undefined, host: string, port: number): boolean =>
  egressAllowed(parseEgressPolicy(value), { host, port });

describe('egress policy (edgeplane.io/allowed-outgoing-hosts)', () => {
  it('allows nothing without the annotation', () => {
    expect(allowed(undefined, 'api.example.com', 443)).toBe(false);
    expect(allowed('', 'api.example.com', 443)).toBe(false);
  });

  it('matches exact hosts on any port, or on the port named', () => {
    const v = 'api.example.com, 10.0.0.9:8080 [::1]:9000';
    expect(allowed(v, 'api.example.com', 443)).toBe(true);
    expect(allowed(v, 'api.example.com', 80)).toBe(true);
    expect(allowed(v, 'www.example.com', 443)).toBe(false);
    expect(allowed(v, '10.0.0.9', 8080)).toBe(true);
    expect(allowed(v, '10.0.0.9', 80)).toBe(false);
    expect(allowed(v, '::1', 9000)).toBe(true);
    expect(allowed('API.Example.COM', 'api.example.com', 80)).toBe(true);
  });

  it('matches names under a `*.domain`, not the domain itself, and `*` matches any host', () => {
    const v = '*.example.org:443';
    expect(allowed(v, 'a.example.org', 443)).toBe(true);
    expect(allowed(v, 'b.a.example.org', 443)).toBe(true);
    expect(allowed(v, 'example.org', 443)).toBe(false);
    expect(allowed(v, 'a.example.org', 80)).toBe(false);
    expect(allowed(v, 'evilexample.org', 443)).toBe(false);
    expect(allowed('*', 'anything.at.all', 1234)).toBe(true);
    expect(allowed('*:443', 'anything', 443)).toBe(true);
    expect(allowed('*:443', 'anything', 80)).toBe(false);
  });

  it('reports entries it cannot read instead of guessing', () => {
    expect(parseEgressPolicy('https://api.example.com, ok.example.com, bad:port').invalid).toEqual([
      'https://api.example.com',
      'bad:port',
    ]);
  });
});

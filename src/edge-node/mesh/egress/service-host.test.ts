import { describe, expect, it } from 'vitest';
import { parseAuthority, serviceNameOf } from './service-host.js';

describe('parseAuthority', () => {
  it('reads host and port, defaulting the port to the scheme', () => {
    expect(parseAuthority('catalog', 'http')).toEqual({ host: 'catalog', port: 80 });
    expect(parseAuthority('Catalog.Shop:8080', 'http')).toEqual({ host: 'catalog.shop', port: 8080 });
    expect(parseAuthority('api.example.com', 'https')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseAuthority('catalog.shop.svc.cluster.local.:80', 'http')).toEqual({
      host: 'catalog.shop.svc.cluster.local',
      port: 80,
    });
    expect(parseAuthority('[::1]:9000', 'http')).toEqual({ host: '::1', port: 9000 });
    expect(parseAuthority('[fe80::1]', 'https')).toEqual({ host: 'fe80::1', port: 443 });
  });

  it('refuses what is not a plain authority', () => {
    for (const bad of [
      '',
      ':80',
      'user@host',
      'host/path',
      'host:',
      'host:0',
      'host:65536',
      'host:http',
      '[::1',
      '[::1]x',
      '[nope]:80',
      'a b',
    ]) {
      expect(parseAuthority(bad, 'http'), bad).toBeUndefined();
    }
  });
});

describe('serviceNameOf', () => {
  it("resolves the Kubernetes DNS forms, the namespace defaulting to the caller's", () => {
    expect(serviceNameOf('catalog', 'shop')).toEqual({ name: 'catalog', namespace: 'shop' });
    expect(serviceNameOf('catalog.other', 'shop')).toEqual({ name: 'catalog', namespace: 'other' });
    expect(serviceNameOf('catalog.other.svc', 'shop')).toEqual({ name: 'catalog', namespace: 'other' });
    expect(serviceNameOf('catalog.other.svc.cluster.local', 'shop')).toEqual({ name: 'catalog', namespace: 'other' });
  });

  it('is undefined for hosts that cannot name a Service', () => {
    for (const host of [
      '10.0.0.1',
      '::1',
      'a.b.c',
      'catalog.shop.svc.cluster',
      'catalog.shop.svc.example.local',
      'api.eu.example.com.x.y',
      '-bad',
      'under_score',
    ]) {
      expect(serviceNameOf(host, 'default'), host).toBeUndefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { proxyTarget, type ProxyRefusal } from './proxy-target.js';

describe('proxyTarget', () => {
  it('reads the absolute form a client configured with http_proxy sends', () => {
    expect(proxyTarget('GET', 'http://catalog/items?page=2', 'catalog')).toEqual({
      scheme: 'http',
      authority: 'catalog',
      path: '/items?page=2',
    });
    expect(proxyTarget('POST', 'http://cart.shop.svc:8080', undefined)).toEqual({
      scheme: 'http',
      authority: 'cart.shop.svc:8080',
      path: '/',
    });
    expect(proxyTarget('GET', 'HTTP://Api.Example.com?q=1', undefined)).toEqual({
      scheme: 'http',
      authority: 'Api.Example.com',
      path: '/?q=1',
    });
    expect(proxyTarget('GET', 'https://api.example.com/x', undefined)).toEqual({
      scheme: 'https',
      authority: 'api.example.com',
      path: '/x',
    });
    expect(proxyTarget('GET', 'http://[fd00::1]:8080/x#frag', undefined)).toEqual({
      scheme: 'http',
      authority: '[fd00::1]:8080',
      path: '/x',
    });
  });

  it('reads the origin form by its Host header', () => {
    expect(proxyTarget('GET', '/items', 'catalog:80')).toEqual({
      scheme: 'http',
      authority: 'catalog:80',
      path: '/items',
    });
  });

  it('refuses tunnels, user info, and targets it cannot read', () => {
    const tunnel = proxyTarget('CONNECT', 'api.example.com:443', 'api.example.com:443');
    expect(tunnel).toMatchObject({ status: 405 });
    expect((tunnel as ProxyRefusal).message).toMatch(/does not tunnel/);
    expect(proxyTarget('GET', 'http://user:pw@catalog/', undefined)).toMatchObject({ status: 400 });
    expect(proxyTarget('GET', 'http:///nohost', undefined)).toMatchObject({ status: 400 });
    expect(proxyTarget('GET', '/items', undefined)).toMatchObject({ status: 400 });
    expect(proxyTarget('GET', 'ftp://files/x', undefined)).toMatchObject({ status: 400 });
  });
});

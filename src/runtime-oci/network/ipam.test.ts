import { describe, expect, it } from 'vitest';
import { Ipam, parseCidr } from './ipam.js';

describe('Ipam', () => {
  it('hands out the range after the gateway, reuses released addresses, and says when it is full', () => {
    const ipam = new Ipam(parseCidr('10.9.8.0/30'));
    expect(ipam.gateway).toBe('10.9.8.1');
    expect(ipam.allocate('a')).toBe('10.9.8.2');
    expect(ipam.allocate('a')).toBe('10.9.8.2');
    expect(() => ipam.allocate('b')).toThrow(/no free address/);
    ipam.release('a');
    expect(ipam.allocate('b')).toBe('10.9.8.2');
    expect(parseCidr('10.9.8.77/24')).toEqual({ network: parseCidr('10.9.8.0/24').network, prefix: 24 });
    expect(() => parseCidr('10.9.8.0/31')).toThrow(/8\.\.30/);
    expect(() => parseCidr('300.1.1.1/24')).toThrow(/above 255/);
  });
});

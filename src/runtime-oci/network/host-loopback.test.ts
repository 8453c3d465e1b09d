import { describe, expect, it } from 'vitest';
import { hostLoopback } from './host-loopback.js';

describe('hostLoopback', () => {
  it('is 127.0.0.1 for a routable node address, never the address itself', () => {
    expect(hostLoopback('192.168.1.20')).toBe('127.0.0.1');
    expect(hostLoopback('fd00::7')).toBe('127.0.0.1');
    expect(hostLoopback(undefined)).toBe('127.0.0.1');
  });

  it('is the node address when that is a loopback one (nodes sharing a machine keep apart)', () => {
    expect(hostLoopback('127.0.15.3')).toBe('127.0.15.3');
    expect(hostLoopback('::1')).toBe('::1');
  });
});

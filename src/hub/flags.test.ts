import { describe, expect, it } from 'vitest';
import { parseDuration, parseListen } from './flags.js';

describe('hub flags', () => {
  it('parses durations in s, m, ms and bare seconds', () => {
    expect(parseDuration('10s')).toBe(10);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('7')).toBe(7);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });
  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(() => parseListen('nohost')).toThrow(/host:port/);
  });
});

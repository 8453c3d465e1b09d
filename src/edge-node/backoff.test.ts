import { describe, expect, it } from 'vitest';
import { Backoff, formatDuration } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the initial delay to the cap, and resets', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
    b.reset();
    expect(b.next()).toBe(10_000);
  });

  it('restarts at once the first time when immediateFirst is set, as the kubelet does', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, immediateFirst: true });
    expect(Array.from({ length: 4 }, () => b.next())).toEqual([0, 10_000, 20_000, 40_000]);
    b.reset();
    expect(b.next()).toBe(0);
    expect(b.next()).toBe(10_000);
  });

  it('spreads delays with jitter', () => {
    const lo = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 0 });
    const hi = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 1 });
    expect(lo.next()).toBe(750);
    expect(hi.next()).toBe(1250);
  });

  it('formats durations as Go does', () => {
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatDuration(80_000)).toBe('1m20s');
    expect(formatDuration(300_000)).toBe('5m0s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

import { describe, expect, it } from 'vitest';
import { AdmissionSlots } from './admission-slots.js';

describe('AdmissionSlots', () => {
  it('runs at most maxConcurrent, queues maxQueued in order, and refuses the rest with a delay that grows with the queue', async () => {
    const slots = new AdmissionSlots(
      { maxConcurrent: 2, maxQueued: 2, minRetryMs: 1000, maxRetryMs: 60_000 },
      () => 0.5,
    );
    const a = slots.acquire();
    const b = slots.acquire();
    const c = slots.acquire();
    const d = slots.acquire();
    if (!('ready' in a && 'ready' in b && 'ready' in c && 'ready' in d)) throw new Error('expected four slots');
    expect(slots.load).toEqual({ running: 2, waiting: 2 });
    // Full: the fifth is told to wait; with random 0.5 the jitter is neutral: ceil(4 / 2) rounds of 1 s, at least 1 s.
    expect(slots.acquire()).toEqual({ retryAfterMs: 2000 });

    const order: string[] = [];
    void c.ready.then(() => order.push('c'));
    void d.ready.then(() => order.push('d'));
    a.release();
    a.release(); // twice is once
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['c']);
    expect(slots.load).toEqual({ running: 2, waiting: 1 });
    b.release();
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['c', 'd']);
    c.release();
    d.release();
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
  });

  it('jitters the delay ±50% and keeps it within its bounds', () => {
    const full = (random: number, limits = {}): number => {
      const s = new AdmissionSlots(
        { maxConcurrent: 1, maxQueued: 0, minRetryMs: 2000, maxRetryMs: 5000, ...limits },
        () => random,
      );
      s.acquire();
      const r = s.acquire();
      if (!('retryAfterMs' in r)) throw new Error('expected a refusal');
      return r.retryAfterMs;
    };
    expect(full(0)).toBe(1000);
    expect(full(0.999)).toBe(2998);
    expect(full(0.999, { minRetryMs: 8000 })).toBe(5000);
  });

  it('tells a refused node the time the queue needs at the pace admissions finished over the last seconds', () => {
    let now = 0;
    const slots = new AdmissionSlots(
      { maxConcurrent: 2, maxQueued: 2, minRetryMs: 0, maxRetryMs: 60_000 },
      () => 0.5,
      () => now,
    );
    expect(slots.pace()).toBeUndefined();
    // 50 admissions finish over one second: 50 a second.
    for (let i = 0; i < 50; i++) {
      const s = slots.acquire();
      if (!('ready' in s)) throw new Error('expected a slot');
      now += 20;
      s.release();
    }
    expect(slots.pace()).toBeCloseTo(50, 0);
    for (let i = 0; i < 4; i++) slots.acquire(); // 2 running, 2 waiting: full
    // 4 ahead at 50 a second: 80 ms (the assumed pace, maxConcurrent a second, would say 2,000 ms).
    expect(slots.acquire()).toEqual({ retryAfterMs: 80 });
    // Nothing finished for longer than the window: back to the assumed pace.
    now += 6000;
    expect(slots.pace()).toBeUndefined();
    expect(slots.acquire()).toEqual({ retryAfterMs: 2000 });
  });
});

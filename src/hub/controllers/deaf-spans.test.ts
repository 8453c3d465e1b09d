import { describe, expect, it } from 'vitest';
import { DeafSpans } from './deaf-spans.js';

/** A controller clock and a monotonic clock the test moves (together for a stall, apart for a jump). */
function clocks(): { now: number; mono: number; spans: DeafSpans } {
  const c = { now: 1_000_000, mono: 0, spans: undefined as unknown as DeafSpans };
  c.spans = new DeafSpans({ clock: { now: () => c.now }, monotonic: () => c.mono, minStallMs: 2_000, maxSpans: 2 });
  return c;
}

const HOUR = 3_600_000;

describe('DeafSpans', () => {
  it('counts a stall of the loop from the last look, on the controller clock, and only after a given time', () => {
    const c = clocks();
    c.now += 5_000;
    c.mono += 500; // the loop looked now and then: no stall
    expect(c.spans.after(0, HOUR)).toBe(0);
    expect(c.spans.lastEnd()).toBe(-Infinity);
    const before = c.now;
    c.now += 30_000;
    c.mono += 30_000; // a 30 s stall
    expect(c.spans.after(before - 1_000, HOUR)).toBe(30_000);
    expect(c.spans.after(before, HOUR)).toBe(30_000);
    expect(c.spans.after(before + 10_000, HOUR)).toBe(20_000); // heard from 10 s into it: the rest
    expect(c.spans.after(c.now, HOUR)).toBe(0);
    expect(c.spans.lastEnd()).toBe(c.now);
  });

  it('excuses a stall only for a window after it ended', () => {
    const c = clocks();
    const before = c.now;
    c.now += 30_000;
    c.mono += 30_000;
    c.spans.observe();
    c.now += 39_000; // the loop ran 39 s since: inside a 40 s window
    expect(c.spans.after(before, 40_000)).toBe(30_000);
    c.now += 2_000;
    expect(c.spans.after(before, 40_000)).toBe(0);
  });

  it('ignores short gaps, a clock that jumps while the loop runs, and the time it was stopped', () => {
    const c = clocks();
    c.mono += 1_900;
    c.now += 1_900;
    expect(c.spans.after(0, HOUR)).toBe(0);
    c.now += 60_000; // the controller's clock moved; the loop did not stand still
    expect(c.spans.after(0, HOUR)).toBe(0);
    c.spans.stop();
    c.mono += 60_000;
    c.now += 60_000;
    c.spans.start(); // sampling starts afresh (a hub that leads again)
    expect(c.spans.after(0, HOUR)).toBe(0);
    c.spans.stop();
  });

  it('remembers the newest stalls only', () => {
    const c = clocks();
    const start = c.now;
    for (let i = 0; i < 3; i++) {
      c.now += 3_000;
      c.mono += 3_000;
      c.spans.observe();
    }
    expect(c.spans.after(start, HOUR)).toBe(6_000);
  });
});

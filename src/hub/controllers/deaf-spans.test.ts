import { describe, expect, it } from 'vitest';
import { DeafSpans } from './deaf-spans.js';

/** A controller clock and a monotonic clock the test moves (together for a stall, apart for a jump). */
function clocks(): { now: number; mono: number; spans: DeafSpans } {
  const c = { now: 1_000_000, mono: 0, spans: undefined as unknown as DeafSpans };
  c.spans = new DeafSpans({ clock: { now: () => c.now }, monotonic: () => c.mono, minStallMs: 2_000, maxSpans: 2 });
  return c;
}

describe('DeafSpans', () => {
  it('counts a stall of the loop from the last look, on the controller clock, and only after a given time', () => {
    const c = clocks();
    c.now += 5_000;
    c.mono += 500; // the loop looked now and then: no stall
    expect(c.spans.after(0)).toBe(0);
    const before = c.now;
    c.now += 30_000;
    c.mono += 30_000; // a 30 s stall
    expect(c.spans.after(before - 1_000)).toBe(30_000);
    expect(c.spans.after(before + 10_000)).toBe(20_000); // heard from 10 s into it: the rest
    expect(c.spans.after(c.now)).toBe(0);
  });

  it('ignores short gaps and a clock that jumps while the loop runs', () => {
    const c = clocks();
    c.mono += 1_900;
    c.now += 1_900;
    expect(c.spans.after(0)).toBe(0);
    c.now += 60_000; // the controller's clock moved; the loop did not stand still
    expect(c.spans.after(0)).toBe(0);
  });

  it('remembers the newest stalls only', () => {
    const c = clocks();
    const start = c.now;
    for (let i = 0; i < 3; i++) {
      c.now += 3_000;
      c.mono += 3_000;
      c.spans.observe();
    }
    expect(c.spans.after(start)).toBe(6_000);
  });
});

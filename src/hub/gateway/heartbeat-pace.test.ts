/** The fleet's heartbeat pace: within the budget, damped, and a grace period that covers every interval in use. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeartbeatPace } from './heartbeat-pace.js';

/** A pace on a clock the test moves. */
function paced(maxPerSecond: number, baseSeconds = 2, maxSeconds?: number) {
  const clock = { ms: 1_000_000 };
  const pace = new HeartbeatPace({
    baseSeconds,
    maxPerSecond,
    ...(maxSeconds !== undefined ? { maxSeconds } : {}),
    now: () => clock.ms,
  });
  return { pace, clock };
}

describe('HeartbeatPace', () => {
  it('keeps the base interval within the budget and slows a larger fleet to whole seconds', () => {
    const { pace } = paced(500);
    expect(pace.resize(1000)).toBeUndefined(); // 1,000 nodes at 2 s: exactly the budget
    expect(pace.seconds).toBe(2);
    expect(pace.resize(10_000)).toBe(20);
    expect(pace.seconds).toBe(20);
    expect(pace.ideal(1001)).toBe(3);
  });

  it('does not move for a change under 25%, and comes back to the base when the fleet shrinks', () => {
    const { pace } = paced(500);
    pace.resize(10_000);
    expect(pace.resize(10_500)).toBeUndefined(); // 21 s is within 25% of 20 s
    expect(pace.resize(9_000)).toBeUndefined(); // 18 s too
    expect(pace.resize(12_500)).toBe(25);
    expect(pace.resize(100)).toBe(2);
  });

  it('stops at the longest interval, and never paces without a budget', () => {
    expect(paced(500, 2, 30).pace.resize(1_000_000)).toBe(30);
    const none = paced(0).pace;
    expect(none.resize(1_000_000)).toBeUndefined();
    expect(none.seconds).toBe(2);
  });

  it('scales the grace period by the longest interval a node may still beat at', () => {
    const { pace, clock } = paced(500);
    expect(pace.graceScale()).toBe(1);
    pace.resize(10_000); // 20 s at once: the grace grows with it
    expect(pace.graceScale()).toBe(10);
    pace.resize(100); // back to 2 s: nodes told late may still beat at 20 s for a while
    expect(pace.graceScale()).toBe(10);
    clock.ms += 2 * 20_000 + 1; // two old intervals later every node beats at the new pace
    expect(pace.graceScale()).toBe(1);
  });

  it('for any run of fleet sizes: within [base, max], within the budget unless damped or capped, a grace that covers it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.record({ nodes: fc.integer({ min: 0, max: 200_000 }), later: fc.nat(100_000) }), {
          maxLength: 60,
        }),
        (budget, steps) => {
          const { pace, clock } = paced(budget, 2, 120);
          let longestRecent = 2;
          let recentUntil = 0;
          for (const { nodes, later } of steps) {
            clock.ms += later;
            const before = pace.seconds;
            const moved = pace.resize(nodes);
            const s = pace.seconds;
            expect(s).toBeGreaterThanOrEqual(2);
            expect(s).toBeLessThanOrEqual(120);
            if (moved !== undefined) {
              expect(moved).toBe(s);
              expect(s).toBe(pace.ideal(nodes)); // a move goes to the ideal at once
              if (before > longestRecent || clock.ms >= recentUntil) longestRecent = before;
              recentUntil = Math.max(recentUntil, clock.ms + 2 * before * 1000);
            } else {
              expect(s).toBe(before);
            }
            // The hub hears at most the budget plus the damping, unless the longest interval binds.
            if (pace.ideal(nodes) < 120) expect(nodes / s).toBeLessThanOrEqual(budget * 1.25 + 1e-9);
            // The grace period covers the current interval and the one just left.
            expect(pace.graceScale() * 2).toBeGreaterThanOrEqual(s);
            if (moved !== undefined) expect(pace.graceScale() * 2).toBeGreaterThanOrEqual(before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

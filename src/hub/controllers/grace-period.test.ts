/** The grace period scaled by the heartbeat pace, and the shrink the lifecycle reschedules on. */
import { expect, it } from 'vitest';
import { GracePeriod } from './grace-period.js';

it('scales by the pace (never below the configured grace) and says when it shrank since last asked', () => {
  let scale = 1;
  const grace = new GracePeriod(10, () => scale);
  expect(grace.ms()).toBe(10_000);
  expect(grace.shrank()).toBe(false); // the first call never is
  scale = 4;
  expect(grace.ms()).toBe(40_000);
  expect(grace.shrank()).toBe(false);
  scale = 0.5; // a scale under 1 counts as 1
  expect(grace.ms()).toBe(10_000);
  expect(grace.shrank()).toBe(true);
  expect(grace.shrank()).toBe(false);
  expect(new GracePeriod(7).ms()).toBe(7_000);
});

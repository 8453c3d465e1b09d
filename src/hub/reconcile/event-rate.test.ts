import { expect, it } from 'vitest';
import { capturedLogger } from '../../../test/support/log-lines.js';
import { silentLogger } from '../../platform/index.js';
import { EventRateLimit } from './event-rate.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

it('lets a burst through, then the rate; counts every drop and logs their count at most every ten seconds', async () => {
  let now = 5_000_000;
  const { log, lines } = capturedLogger();
  const limit = new EventRateLimit(log, { perSecond: 10, burst: 4 }, () => now);
  expect(Array.from({ length: 7 }, () => limit.allow())).toEqual([true, true, true, true, false, false, false]);
  expect(limit.dropped).toBe(3);
  now += 250; // 2.5 tokens back
  expect(Array.from({ length: 3 }, () => limit.allow())).toEqual([true, true, false]);
  // A rollout keeps the rate spent: a token, then drops, over and over — no line per token.
  for (let i = 0; i < 100; i++) {
    now += 100;
    expect([limit.allow(), limit.allow()]).toEqual([true, false]);
  }
  expect(limit.dropped).toBe(104);
  now += 30_000; // refilled, never past the burst
  expect(Array.from({ length: 5 }, () => limit.allow())).toEqual([true, true, true, true, false]);
  expect(limit.dropped).toBe(105);
  await flush();
  expect(lines.map((l) => String(l.msg))).toEqual([
    'events are recorded faster than the event rate (--event-qps, --event-burst): dropped 1',
    'events are recorded faster than the event rate (--event-qps, --event-burst): dropped 100 in the last 10 s',
    'events are recorded faster than the event rate (--event-qps, --event-burst): dropped 3 in the last 30 s',
  ]);
  expect(lines[1]).toMatchObject({ dropped: 100, perSecond: 10, burst: 4 });
});

it('defaults to the kubelet figures, 50 a second with a burst of 100, and refuses a rate that cannot be met', () => {
  const now = 0;
  const limit = new EventRateLimit(silentLogger(), {}, () => now);
  expect(Array.from({ length: 101 }, () => limit.allow()).filter(Boolean)).toHaveLength(100);
  expect(() => new EventRateLimit(silentLogger(), { perSecond: 0 })).toThrow(
    'the event rate needs perSecond > 0 and burst >= 1, got 0/s, burst 100',
  );
  expect(() => new EventRateLimit(silentLogger(), { burst: 0.5 })).toThrow(/burst >= 1/);
});

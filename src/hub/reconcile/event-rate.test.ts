import { expect, it } from 'vitest';
import { capturedLogger } from '../../../test/support/log-lines.js';
import { silentLogger } from '../../platform/index.js';
import { EventRateLimit } from './event-rate.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

it('lets a burst through, then the rate; counts every drop and logs each run of drops once', async () => {
  let now = 5_000_000;
  const { log, lines } = capturedLogger();
  const limit = new EventRateLimit(log, { perSecond: 10, burst: 4 }, () => now);
  expect(Array.from({ length: 7 }, () => limit.allow())).toEqual([true, true, true, true, false, false, false]);
  expect(limit.dropped).toBe(3);
  now += 250; // 2.5 tokens back
  expect(Array.from({ length: 3 }, () => limit.allow())).toEqual([true, true, false]);
  now += 10_000; // never more than the burst
  expect(Array.from({ length: 5 }, () => limit.allow())).toEqual([true, true, true, true, false]);
  expect(limit.dropped).toBe(5);
  await flush();
  const msgs = lines.map((l) => String(l.msg));
  expect(msgs.filter((m) => m.includes('faster than the event rate'))).toHaveLength(3);
  expect(msgs).toContain('dropped 3 events over the event rate');
  expect(msgs).toContain('dropped 1 events over the event rate');
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

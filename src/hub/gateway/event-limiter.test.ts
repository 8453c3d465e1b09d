import { describe, expect, it } from 'vitest';
import { capturedLogger } from '../../../test/support/log-lines.js';
import { NodeEventLimiter } from './event-limiter.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('NodeEventLimiter', () => {
  it('lets a burst through, then the refill rate; logs the first drop once and the count when events flow again', async () => {
    let now = 1_000_000;
    const { log, lines } = capturedLogger();
    const lim = new NodeEventLimiter(log, { perSecond: 2, burst: 3 }, () => now);
    const taken = Array.from({ length: 10 }, () => lim.allow('a'));
    expect(taken).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(lim.allow('b')).toBe(true); // buckets are per node
    now += 1000; // two tokens back
    expect([lim.allow('a'), lim.allow('a'), lim.allow('a')]).toEqual([true, true, false]);
    now += 60_000; // never more than the burst
    expect(Array.from({ length: 4 }, () => lim.allow('a'))).toEqual([true, true, true, false]);
    await flush();
    const msgs = lines.map((l) => String(l.msg));
    expect(msgs.filter((m) => m.includes('faster than its rate limit'))).toHaveLength(3); // one per run of drops
    expect(msgs).toContain('dropped 7 events from node over its rate limit (node events flow again)');
    expect(msgs).toContain('dropped 1 events from node over its rate limit (node events flow again)');
  });

  it('on disconnect reports the drops, keeps a bucket not yet refilled, forgets refilled ones of disconnected nodes', async () => {
    let now = 0;
    const { log, lines } = capturedLogger();
    const lim = new NodeEventLimiter(log, { perSecond: 1, burst: 2 }, () => now);
    for (let i = 0; i < 3; i++) lim.allow('a');
    lim.allow('b');
    lim.disconnected('a', () => false);
    await flush();
    expect(lines.map((l) => l.msg)).toContain('dropped 1 events from node over its rate limit (node disconnected)');
    expect(lim.size).toBe(2); // neither bucket is full yet
    expect(lim.allow('a')).toBe(false); // a redial gets no fresh burst
    now += 5000;
    lim.disconnected('b', (n) => n === 'a');
    expect(lim.size).toBe(1); // b refilled and gone; a still counts as connected
    lim.disconnected('a', () => false);
    expect(lim.size).toBe(0);
  });

  it('refuses a rate that would let nothing through', () => {
    const { log } = capturedLogger();
    expect(() => new NodeEventLimiter(log, { perSecond: 0 })).toThrow(/perSecond > 0/);
    expect(() => new NodeEventLimiter(log, { burst: 0.5 })).toThrow(/burst >= 1/);
  });
});

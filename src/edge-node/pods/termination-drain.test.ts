import { describe, expect, it } from 'vitest';
import { TerminationDrain } from './termination-drain.js';

describe('TerminationDrain', () => {
  it('lets a pod with no recent request stop at once, spending none of its grace', async () => {
    const drain = new TerminationDrain(50);
    expect(drain.stopping).toBe(false);
    expect(await drain.wait(() => 30_000)).toBe(0);
    expect(drain.stopping).toBe(true);
  });

  it('waits until the pod has been quiet for quietMs, and says how long it waited', async () => {
    const drain = new TerminationDrain(80);
    drain.served();
    const waiting = drain.wait(() => 30_000);
    // Requests keep arriving for a while: the quiet period starts again after each one.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(drain.stopping).toBe(false);
      drain.served();
    }
    const spent = await waiting;
    expect(drain.stopping).toBe(true);
    expect(spent).toBeGreaterThanOrEqual(120 + 80);
  });

  it('stops when the grace period runs out even while requests keep coming', async () => {
    const drain = new TerminationDrain(200);
    drain.served();
    let done = false;
    const waiting = drain.wait(() => 300).then((spent) => ((done = true), spent));
    while (!done) {
      drain.served();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const spent = await waiting;
    expect(drain.stopping).toBe(true);
    expect(spent).toBeGreaterThanOrEqual(300);
  });

  it('waits settleMs from the start even for a pod quiet before it (a Service endpoint other nodes may still route to)', async () => {
    const drain = new TerminationDrain(50);
    const waiting = drain.wait(() => 30_000, 120);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(drain.stopping).toBe(false);
    expect(await waiting).toBeGreaterThanOrEqual(120);
    expect(drain.stopping).toBe(true);
  });
});

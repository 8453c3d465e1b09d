import { silentLogger } from '../../platform/index.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../api/index.js';
import { WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('deduplicates waiting keys and never runs one key twice at once', async () => {
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      clock: systemClock,
      reconcile: async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        runs.push(key);
        await new Promise((r) => setTimeout(r, 5));
        running.delete(key);
      },
    });
    q.add('a');
    q.add('a'); // not started yet (dispatch is on a later turn): deduplicated
    await vi.waitFor(() => expect(runs).toEqual(['a']));
    q.add('a'); // 'a' is running now: queued again for after this run
    q.add('b');
    q.add('b');
    await q.idle();
    expect(overlap).toBe(false);
    // 'a' was re-added while processing, so it ran again after; 'b' was deduplicated while waiting.
    await vi.waitFor(() => expect(runs).toHaveLength(3));
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(1);
  });

  it('retries failed keys with back-off until they succeed', async () => {
    let attempts = 0;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      clock: systemClock,
      baseRetryMs: 1,
      reconcile: () => {
        attempts++;
        return attempts < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
    });
    q.add('k');
    await vi.waitFor(() => expect(attempts).toBe(3));
    await q.idle();
    expect(attempts).toBe(3);
  });
});

/** One real event-loop turn (the queue dispatches from a real `setImmediate`; only timers are faked). */
const realTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The clock handed to the queue: it reads vitest's fake time, so moving the fake timers moves the clock
 * and the timers together (nothing here waits for real time); each move also lets the queue dispatch.
 */
function fakeClock(): { now: () => number; advance: (ms: number) => Promise<void> } {
  vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'));
  return {
    now: () => Date.now(),
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
      await realTurn();
    },
  };
}

/** A reconcile that the test finishes by hand, per call. */
function gate(): { calls: string[]; release: () => void; reconcile: (key: string) => Promise<void> } {
  const calls: string[] = [];
  const waiting: Array<() => void> = [];
  return {
    calls,
    release: () => waiting.shift()?.(),
    reconcile: (key) => {
      calls.push(key);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

describe('WorkQueue with an injected clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deduplicates a waiting key and runs one key on one worker at a time', async () => {
    const clock = fakeClock();
    const g = gate();
    const q = new WorkQueue({ name: 't', workers: 2, logger: silentLogger(), clock, reconcile: g.reconcile });
    q.add('a');
    q.add('a'); // waiting: deduplicated
    q.add('b');
    q.add('c'); // waits: both workers will be busy
    expect(g.calls).toEqual([]); // never inside the caller's turn
    await clock.advance(0);
    expect(g.calls).toEqual(['a', 'b']);
    q.add('a'); // running: marked to run again after
    q.add('a'); // still one re-run
    q.add('c'); // deduplicated while waiting
    g.release(); // 'a' ends: 'c' (waiting) takes the worker, 'a' is queued again behind it
    await vi.waitFor(() => expect(g.calls).toEqual(['a', 'b', 'c']));
    g.release(); // 'b' ends: the second run of 'a' starts
    await vi.waitFor(() => expect(g.calls).toEqual(['a', 'b', 'c', 'a']));
    g.release();
    g.release();
    await q.idle();
    expect(q.length).toBe(0);
  });

  it('retries a failed key after an exponential back-off measured on the clock', async () => {
    const clock = fakeClock();
    const at: number[] = [];
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      clock,
      baseRetryMs: 100,
      maxRetryMs: 250,
      reconcile: () => {
        at.push(clock.now());
        return at.length < 4 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
    });
    const t0 = clock.now();
    q.add('k');
    await clock.advance(0);
    expect(at).toHaveLength(1); // the first run starts on the next turn
    await clock.advance(99);
    expect(at).toHaveLength(1); // not before its delay
    await clock.advance(1);
    expect(at).toHaveLength(2);
    await clock.advance(200); // doubled
    expect(at).toHaveLength(3);
    await clock.advance(250); // capped at maxRetryMs
    expect(at.map((t) => t - t0)).toEqual([0, 100, 300, 550]);
  });

  it('addAfter keeps the earlier of two delays for one key', async () => {
    const clock = fakeClock();
    const runs: number[] = [];
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      clock,
      reconcile: () => {
        runs.push(clock.now());
        return Promise.resolve();
      },
    });
    const t0 = clock.now();
    q.addAfter('k', 1000);
    q.addAfter('k', 300);
    q.addAfter('k', 5000);
    await clock.advance(6000);
    expect(runs.map((t) => t - t0)).toEqual([300]);
  });

  it('stop() finishes what is running and waiting, and reports (never silently drops) the rest', async () => {
    const clock = fakeClock();
    const g = gate();
    const q = new WorkQueue({ name: 't', workers: 1, logger: silentLogger(), clock, reconcile: g.reconcile });
    q.add('running');
    q.add('waiting');
    q.addAfter('delayed', 1000);
    await clock.advance(0); // 'running' starts
    let left: string[] | undefined;
    const stopped = q.stop().then((l) => (left = l));
    q.add('late'); // refused once stopping
    g.release(); // 'running' ends; the waiting key still runs
    await vi.waitFor(() => expect(g.calls).toEqual(['running', 'waiting']));
    expect(left).toBeUndefined(); // still draining
    g.release();
    await stopped;
    expect(g.calls).toEqual(['running', 'waiting']);
    expect(left?.sort()).toEqual(['delayed', 'late']);
    await clock.advance(2000);
    expect(g.calls).toHaveLength(2); // the cancelled delay never fires
  });

  it('stop() gives up after drainTimeoutMs and reports the keys it could not finish', async () => {
    const clock = fakeClock();
    const g = gate();
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      clock,
      drainTimeoutMs: 500,
      reconcile: g.reconcile,
    });
    q.add('stuck');
    q.add('behind');
    await clock.advance(0); // 'stuck' starts
    const stopped = q.stop();
    await clock.advance(500);
    expect((await stopped).sort()).toEqual(['behind', 'stuck']);
    g.release(); // the stuck reconcile ends later; 'behind' was dropped and never runs
    await clock.advance(10);
    expect(g.calls).toEqual(['stuck']);
  });
});

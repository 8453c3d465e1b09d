/**
 * The stall watchdog's decisions, over executors that report what their worker does (a stand-in for
 * the worker thread: the watchdog reads only these fields, and setting a real thread's nice value is
 * thread-priority.ts's concern). A guest finishing within its grace is flagged stalled but keeps its
 * priority; any other stalled guest is lowered.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Executor } from './executor.js';
import { ISOLATED_NICE, StallWatchdog } from './stall-watchdog.js';

/** The fields of an executor the watchdog reads and writes. */
class Worker {
  stalled = false;
  nice = 0;
  busySince: number | undefined = Date.now();
  withdrawn = 0;
  readonly id = 1;
  readonly alive = true;
  isWaiting = (): boolean => false;
  busyFor = (now: number): number => (this.busySince === undefined ? 0 : now - this.busySince);
  get busy(): boolean {
    return this.busySince !== undefined;
  }
  setNice = (nice: number): boolean => {
    this.nice = nice;
    return true;
  };
  withdrawQueued = (): number => ++this.withdrawn;
  activity = () => ({ kind: 0, id: 0, since: 0 });
  terminate = (): Promise<void> => Promise.resolve();
}

const asExecutor = (w: Worker): Executor => w as unknown as Executor;

let watchdog: StallWatchdog | undefined;
afterEach(() => watchdog?.stop());

function watch(shared: Worker[], isolated: Worker[], finishing: Set<Worker>): void {
  const isolatedSet = new Set(isolated.map(asExecutor));
  watchdog = new StallWatchdog({
    stallMs: 20,
    logger: pino({ level: 'silent' }),
    shared: () => shared.map(asExecutor),
    isolated: isolatedSet,
    onRecovered: () => undefined,
    onTick: () => undefined,
    finishing: (e) => finishing.has(e as unknown as Worker),
  });
}

describe('stall watchdog', () => {
  it('lowers a stalled shared executor, but not one whose guest finishes within its grace', async () => {
    const looping = new Worker();
    const finishingGuest = new Worker();
    const finishing = new Set([finishingGuest]);
    watch([looping, finishingGuest], [], finishing);
    await vi.waitFor(() => expect([looping.stalled, finishingGuest.stalled]).toEqual([true, true]), 15_000);
    // Both are avoided by placement (their queues are withdrawn); only the looping one runs at the lowest.
    await vi.waitFor(() => expect(finishingGuest.withdrawn).toBeGreaterThan(0), 15_000);
    expect(looping.nice).toBe(19);
    expect(finishingGuest.nice).toBe(0);
    // The grace is over and it still computes: now it is lowered like any other.
    finishing.clear();
    await vi.waitFor(() => expect(finishingGuest.nice).toBe(19), 15_000);
    // It finished: its priority comes back and the flag goes.
    finishingGuest.busySince = undefined;
    await vi.waitFor(() => expect([finishingGuest.stalled, finishingGuest.nice]).toEqual([false, 0]), 15_000);
  });

  it('keeps an isolated executor at its own priority while its guest finishes within its grace', async () => {
    const isolated = new Worker();
    isolated.nice = ISOLATED_NICE;
    const finishing = new Set([isolated]);
    watch([], [isolated], finishing);
    await vi.waitFor(() => expect(isolated.stalled).toBe(true), 15_000);
    expect(isolated.nice).toBe(ISOLATED_NICE);
    finishing.clear();
    await vi.waitFor(() => expect(isolated.nice).toBe(19), 15_000);
  });
});

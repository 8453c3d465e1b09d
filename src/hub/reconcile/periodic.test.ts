import { silentLogger } from '../../platform/index.js';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { PeriodicSweep } from './periodic.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it('runs first after firstDelayMs, then an interval after each run; a failed run is retried next interval', async () => {
  let runs = 0;
  const sweep = new PeriodicSweep({
    run: () => (++runs === 2 ? Promise.reject(new Error('boom')) : Promise.resolve(runs)),
    intervalMs: 1000,
    firstDelayMs: 100,
    logger: silentLogger(),
    failureMessage: 'failed',
  });
  sweep.start();
  await vi.advanceTimersByTimeAsync(99);
  expect(runs).toBe(0);
  await vi.advanceTimersByTimeAsync(1);
  expect(runs).toBe(1);
  await vi.advanceTimersByTimeAsync(1000);
  expect(runs).toBe(2); // fails
  await vi.advanceTimersByTimeAsync(1000);
  expect(runs).toBe(3);
  await sweep.stop();
  await vi.advanceTimersByTimeAsync(5000);
  expect(runs).toBe(3);
});

it('never overlaps runs, and stop() signals the run under way and waits for it', async () => {
  let started = 0;
  let sawAbort = false;
  let finish: (() => void) | undefined;
  const sweep = new PeriodicSweep({
    run: async (signal) => {
      started++;
      await new Promise<void>((resolve) => (finish = resolve));
      sawAbort = signal.aborted;
      return started;
    },
    intervalMs: 10,
    logger: silentLogger(),
    failureMessage: 'failed',
  });
  const a = sweep.sweep();
  const b = sweep.sweep(); // joins the run under way
  expect(started).toBe(1);
  let stopped = false;
  const stopping = sweep.stop().then(() => (stopped = true));
  await vi.advanceTimersByTimeAsync(0);
  expect(stopped).toBe(false); // waits for the run
  finish?.();
  await stopping;
  expect(sawAbort).toBe(true);
  expect(await a).toBe(1);
  expect(await b).toBe(1);
});

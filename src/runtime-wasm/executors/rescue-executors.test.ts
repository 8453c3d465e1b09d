/**
 * When rescue executors may be started, over stand-ins for the workers (RescueExecutors reads only
 * `alive` and `blockedOutgoing`, and calls `terminate`): one at a time — none while another is still
 * moving — up to `max`, and whether they can still help a stuck runtime (admission.ts's stuckReason).
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Executor } from './executor.js';
import { RescueExecutors } from './rescue-executors.js';

/** The fields of an executor RescueExecutors reads. */
class Worker {
  alive = true;
  blockedOutgoing = false;
  constructor(readonly onGone: (e: Executor) => void) {}
  terminate = (): Promise<void> => {
    this.alive = false;
    this.onGone(this as unknown as Executor);
    return Promise.resolve();
  };
}

function rescues(max: number) {
  const logs: string[] = [];
  const started: Worker[] = [];
  const set = new RescueExecutors({
    max,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    start: (onGone) => {
      const w = new Worker(onGone);
      started.push(w);
      return w as unknown as Executor;
    },
  });
  return { set, logs, started };
}

describe('rescue executors', () => {
  it('start one at a time: the next only once the last is blocked in an outgoing call, up to max', () => {
    const { set, logs, started } = rescues(2);
    expect(set.start(1)).toBeDefined();
    // Still starting (or running unblocked): it may free the chain by itself, so no second one.
    expect([set.moving(), set.canStart(), set.start(2)]).toEqual([true, false, undefined]);
    started[0]!.blockedOutgoing = true;
    expect(set.start(2)).toBeDefined();
    started[1]!.blockedOutgoing = true;
    // At max, every one blocked: they cannot help any more (a loop is refused from here).
    expect([set.alive.size, set.canStart(), set.mayHelp(), set.start(3)]).toEqual([2, false, false, undefined]);
    expect(set.starts).toBe(2);
    expect(logs.map((l) => (JSON.parse(l) as { depth: number; rescue: number; max: number }).depth)).toEqual([1, 2]);
  });

  it('help again once one ends; forget those lost; hand them all over on close', () => {
    const { set, started } = rescues(1);
    const first = set.start(1)!;
    started[0]!.blockedOutgoing = true;
    expect(set.mayHelp()).toBe(false);
    set.end(first);
    expect([started[0]!.alive, set.alive.size, set.mayHelp()]).toEqual([false, 0, true]);
    set.end(first); // twice: nothing more
    const second = set.start(1)!;
    void (second as unknown as Worker).terminate(); // lost (its guest overran): gone from the set
    expect(set.alive.size).toBe(0);
    const third = set.start(2)!;
    expect([set.has(third), set.has(first), set.takeAll()]).toEqual([true, false, [third]]);
    expect(set.alive.size).toBe(0);
  });
});

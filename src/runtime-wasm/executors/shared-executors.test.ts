/**
 * Which shared executors may be started, over stand-ins for the workers (SharedExecutors reads only
 * these fields): overflow ones up to `maxShared`, then leaf ones — for pods that do not call out only —
 * up to `leafMax` more, the hard ceiling; callers are never offered a leaf one, and idle ones retire.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Executor, ExecutorOptions } from './executor.js';
import { SharedExecutors } from './shared-executors.js';

/** The fields of an executor SharedExecutors reads. */
class Worker {
  alive = true;
  idleSince = 0;
  constructor(
    readonly id: number,
    readonly onGone: ExecutorOptions['onGone'],
  ) {}
  idleFor = (now: number): number => now - this.idleSince;
  terminate = (): Promise<void> => {
    this.alive = false;
    this.onGone(this as unknown as Executor, { reason: 'terminated' });
    return Promise.resolve();
  };
}

function shared(size: number, maxShared: number) {
  const logs: string[] = [];
  let next = 1;
  const set = new SharedExecutors({
    size,
    maxShared,
    leafMax: size,
    overflowIdleMs: 1000,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    start: (onGone) => new Worker(next++, onGone) as unknown as Executor,
  });
  set.startFixed();
  return { set, logs };
}

describe('shared executors', () => {
  it('start overflow ones up to maxShared, then leaf ones for leaf pods only, up to maxShared + size', () => {
    const { set, logs } = shared(2, 3);
    expect(set.startOverflow(true)).toBeDefined(); // under maxShared: an ordinary overflow one, even for a leaf
    expect(set.startOverflow()).toBeUndefined(); // maxShared reached: none for a caller
    const leaves = [set.startOverflow(true), set.startOverflow(true)];
    expect(leaves.every((e) => e !== undefined && set.isLeaf(e))).toBe(true);
    expect(set.startOverflow(true)).toBeUndefined(); // the ceiling: 3 + 2
    expect([set.fixed.length, set.overflow.length, set.leaf.length, set.leafStarts]).toEqual([2, 1, 2, 2]);
    expect(set.all()).toHaveLength(5);
    expect(set.forCallers()).toHaveLength(3);
    expect(set.forCallers().some((e) => set.isLeaf(e))).toBe(false);
    expect(set.unstarted).toBe(0);
    const started = logs.filter((l) => l.includes('started a leaf executor'));
    expect(started.map((l) => (JSON.parse(l) as { leaf: number; leafMax: number; maxShared: number }).leaf)).toEqual([
      1, 2,
    ]);
  });

  it('retire idle leaf executors like overflow ones, and start them again when needed', () => {
    const { set } = shared(1, 1);
    const leaf = set.startOverflow(true) as unknown as Worker;
    expect(set.startOverflow(true)).toBeUndefined();
    leaf.idleSince = Date.now();
    set.retireIdle(Date.now());
    expect(set.leaf).toHaveLength(1); // not idle long enough
    set.retireIdle(Date.now() + 1000);
    expect([set.leaf.length, leaf.alive]).toEqual([0, false]);
    expect(set.startOverflow(true)).toBeDefined();
    expect(set.leafStarts).toBe(2);
  });
});

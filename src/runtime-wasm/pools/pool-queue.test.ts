/**
 * The order of a pool's waiting requests: nested ones (a blocked guest waits for them) before those
 * from outside, first come first served within each, put-back ones first; and which nested one a
 * rescue executor takes (the deepest, the first queued of those).
 */
import { describe, expect, it } from 'vitest';
import type { PoolJob } from './pool-job.js';
import { PoolQueue } from './pool-queue.js';

function job(name: string, depth: number, queuedAt = 0): PoolJob {
  const request: PoolJob['request'] = {
    method: 'GET',
    path: `/${name}`,
    authority: 'pod',
    scheme: 'http',
    deadlineAt: 0,
    headers: [],
    body: null,
  };
  return { request, state: 'queued', depth, queuedAt, onResult: () => undefined };
}

const names = (jobs: readonly (PoolJob | undefined)[]): string[] => jobs.map((j) => j?.request.path.slice(1) ?? '-');

describe('pool queue', () => {
  it('puts nested requests first, first come first served, and put-back ones at the front of their group', () => {
    const q = new PoolQueue();
    for (const j of [job('a', 0), job('n1', 1), job('b', 0), job('n2', 2), job('n3', 1)]) q.push(j);
    q.unshift(job('back', 0));
    q.unshift(job('nback', 1));
    const order: PoolJob[] = [];
    for (let j; (j = q.shift());) order.push(j);
    expect(names(order)).toEqual(['nback', 'n1', 'n2', 'n3', 'back', 'a', 'b']);
  });

  it('names and hands out its deepest nested request, the first queued of those', () => {
    const q = new PoolQueue();
    expect([q.deepestNested(), q.takeDeepestNested()]).toEqual([0, undefined]);
    for (const j of [job('a', 0), job('n1', 1), job('d2', 2), job('n3', 1), job('e2', 2)]) q.push(j);
    expect(q.deepestNested()).toBe(2);
    expect(names([q.takeDeepestNested(), q.takeDeepestNested(), q.takeDeepestNested()])).toEqual(['d2', 'e2', 'n1']);
    expect([q.length, q.deepestNested()]).toEqual([2, 1]);
    q.takeDeepestNested();
    expect([q.takeDeepestNested(), names([q.head])]).toEqual([undefined, ['a']]);
  });

  it('takes out the nested requests that waited since before a time, and only those', () => {
    const q = new PoolQueue();
    for (const j of [job('old', 1, 100), job('new', 1, 900), job('outer', 0, 50)]) q.push(j);
    expect(names(q.takeNestedQueuedBefore(500))).toEqual(['old']);
    expect(q.length).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

describe('DeadlineQueue', () => {
  it('pops only what is due, earliest first, one live deadline per name (the earlier wins)', () => {
    const q = new DeadlineQueue();
    q.schedule('c', 30);
    q.schedule('a', 10);
    q.schedule('b', 20);
    q.schedule('c', 5); // earlier: replaces 30
    q.schedule('a', 50); // later: the 10 stays
    expect(q.size).toBe(3);
    expect(q.popDue(4)).toEqual([]);
    expect(q.popDue(15)).toEqual(['c', 'a']);
    expect(q.dueAt('c')).toBeUndefined();
    q.remove('b');
    expect(q.popDue(100)).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('stays right when one name is rescheduled earlier again and again (superseded entries dropped)', () => {
    const q = new DeadlineQueue();
    for (let i = 0; i < 1000; i++) q.schedule(`n${i}`, 1_000_000);
    for (let t = 999_999; t > 900_000; t--) q.schedule('n0', t);
    expect(q.size).toBe(1000);
    const due = q.popDue(1_000_000);
    expect(due).toHaveLength(1000);
    expect(due[0]).toBe('n0');
    expect(new Set(due).size).toBe(1000);
  });
});

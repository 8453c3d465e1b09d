import { describe, expect, it } from 'vitest';
import { FifoSet, trimOldest } from './fifo.js';

describe('FifoSet', () => {
  it('gives keys back in the order they were first added, each once', () => {
    const q = new FifoSet<string>();
    expect(q.add('a')).toBe(true);
    expect(q.add('b')).toBe(true);
    expect(q.add('a')).toBe(false);
    expect(q.size).toBe(2);
    expect(q.has('a')).toBe(true);
    expect(q.shift()).toBe('a');
    expect(q.has('a')).toBe(false);
    // Out, then in again: it goes to the end.
    expect(q.add('a')).toBe(true);
    expect([...q]).toEqual(['b', 'a']);
    expect(q.shift()).toBe('b');
    expect(q.shift()).toBe('a');
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('keeps the order across many takes while keys keep coming (the spent front is dropped)', () => {
    const q = new FifoSet<number>();
    const taken: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.add(next++);
      for (let i = 0; i < 250; i++) taken.push(q.shift()!);
    }
    while (q.size > 0) taken.push(q.shift()!);
    expect(taken).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('empties on clear and starts afresh', () => {
    const q = new FifoSet<string>();
    for (const k of ['x', 'y', 'z']) q.add(k);
    q.shift();
    q.clear();
    expect(q.size).toBe(0);
    expect([...q]).toEqual([]);
    q.add('y');
    expect(q.shift()).toBe('y');
  });
});

describe('trimOldest', () => {
  it('lets a map grow a tenth past its bound, then drops its oldest entries down to the bound', () => {
    const m = new Map<number, number>();
    for (let i = 0; i < 110; i++) {
      m.set(i, i);
      trimOldest(m, 100);
    }
    expect(m.size).toBe(110);
    m.set(110, 110);
    trimOldest(m, 100);
    expect(m.size).toBe(100);
    expect([...m.keys()][0]).toBe(11);
    expect(m.has(110)).toBe(true);
  });

  it('counts a re-set key as new: the entries moved to the end are kept', () => {
    const m = new Map<string, number>();
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    m.delete('k0');
    m.set('k0', 0);
    m.set('k10', 10);
    m.set('k11', 11);
    trimOldest(m, 10);
    expect([...m.keys()]).toEqual(['k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k0', 'k10', 'k11']);
  });
});

import { describe, expect, it } from 'vitest';
import { LocalPortAllocator } from './local-ports.js';

const RANGE = { min: 20000, max: 29999 };

describe('LocalPortAllocator', () => {
  it('gives each key a port in the range, the same one while it is in use', () => {
    const a = new LocalPortAllocator(RANGE);
    a.retain(['default/catalog:80', 'default/cart:80', 'http-proxy']);
    const ports = ['default/catalog:80', 'default/cart:80', 'http-proxy'].map((k) => a.portOf(k)!);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(p >= RANGE.min && p <= RANGE.max).toBe(true);
    a.retain(['default/catalog:80', 'default/cart:80', 'http-proxy', 'shop/front:80']);
    expect(['default/catalog:80', 'default/cart:80', 'http-proxy'].map((k) => a.portOf(k))).toEqual(ports);
    expect(a.keyOf(ports[0]!)).toBe('default/catalog:80');
  });

  it('does not move a key when others come and go, and prefers the same port on every node', () => {
    const a = new LocalPortAllocator(RANGE);
    const b = new LocalPortAllocator(RANGE);
    a.retain(['x/one:80', 'x/two:80', 'x/three:80']);
    b.retain(['x/three:80']);
    expect(b.portOf('x/three:80')).toBe(a.portOf('x/three:80'));
    const before = a.portOf('x/three:80');
    a.retain(['x/three:80']);
    a.retain(['x/three:80', 'x/four:80', 'x/five:80']);
    expect(a.portOf('x/three:80')).toBe(before);
  });

  it('survives a restart through its snapshot, released keys included', () => {
    const a = new LocalPortAllocator(RANGE);
    const { changed } = a.retain(['default/catalog:80', 'default/cart:80']);
    expect(changed).toBe(true);
    expect(a.retain(['default/catalog:80', 'default/cart:80']).changed).toBe(false);
    a.retain(['default/catalog:80']);
    const restarted = new LocalPortAllocator(
      RANGE,
      JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<LocalPortAllocator['snapshot']>,
    );
    expect(restarted.portOf('default/catalog:80')).toBe(a.portOf('default/catalog:80'));
    expect(restarted.portOf('default/cart:80')).toBeUndefined();
    const cartBefore = a.snapshot()['default/cart:80']!.port;
    restarted.retain(['default/catalog:80', 'default/cart:80']);
    expect(restarted.portOf('default/cart:80')).toBe(cartBefore);
  });

  it('keeps a released port from other keys while the range has room, then reuses the longest released', () => {
    const a = new LocalPortAllocator({ min: 100, max: 102 });
    a.retain(['a', 'b', 'c']);
    const portOfA = a.portOf('a');
    a.retain(['b', 'c']); // a released first
    const portOfB = a.portOf('b');
    a.retain(['c']); // then b
    expect(a.keyOf(portOfA!)).toBeUndefined();
    a.retain(['c', 'd']);
    expect(a.portOf('d')).toBe(portOfA); // the range is full: the longest released goes
    expect(a.retain(['c', 'd', 'b']).changed).toBe(true);
    expect(a.portOf('b')).toBe(portOfB); // b came back before its port was needed
    expect(a.retain(['c', 'd', 'b', 'e']).unassigned).toEqual(['e']);
  });

  it('moves a key off a port found taken, and never hands that port out again in this run', () => {
    const a = new LocalPortAllocator({ min: 100, max: 101 });
    a.retain(['a']);
    const taken = a.portOf('a')!;
    const moved = a.reassign('a');
    expect(moved).toBeDefined();
    expect(moved).not.toBe(taken);
    expect(a.keyOf(taken)).toBeUndefined();
    a.retain(['a', 'b']);
    expect(a.portOf('b')).toBeUndefined();
    expect(a.reassign('a')).toBeUndefined();
  });

  it('drops saved entries outside the range or on a port taken twice', () => {
    const a = new LocalPortAllocator({ min: 100, max: 110 }, { a: { port: 99 }, b: { port: 105 }, c: { port: 105 } });
    expect(a.snapshot()).toEqual({ b: { port: 105 } });
    expect(() => new LocalPortAllocator({ min: 10, max: 5 })).toThrow(/not a range/);
  });
});

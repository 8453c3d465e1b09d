import { describe, expect, it } from 'vitest';
import type { Node } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ZONE_LABEL, ZoneEvictionLimiter } from './zone-eviction.js';

const node = (name: string, zone: string | undefined, ready: 'True' | 'Unknown' | undefined): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, ...(zone ? { labels: { [ZONE_LABEL]: zone } } : {}) },
  ...(ready ? { status: { conditions: [{ type: 'Ready', status: ready }] } } : {}),
});

/** A limiter over `count` nodes of `zone` of which the first `down` are not Ready. */
function fleet(l: ZoneEvictionLimiter, zone: string, count: number, down: number): void {
  for (let i = 0; i < count; i++) l.nodeChanged(undefined, node(`${zone}-${i}`, zone, i < down ? 'Unknown' : 'True'));
}

describe('ZoneEvictionLimiter (Kubernetes node eviction rates)', () => {
  let now = 0;
  const clock = { now: (): number => now };

  it('lets one node go at once, then one per 1/rate seconds in a healthy zone', () => {
    now = 0;
    const l = new ZoneEvictionLimiter({}, clock, silentLogger());
    fleet(l, 'a', 10, 2);
    expect(l.state('a')).toBe('Normal');
    expect(l.rate('a')).toBe(0.1);
    expect(l.tryAcquire('a')).toBe(true);
    expect(l.tryAcquire('a')).toBe(false);
    now += 9_900;
    expect(l.tryAcquire('a')).toBe(false);
    now += 100;
    expect(l.tryAcquire('a')).toBe(true);
  });

  it('stops a small unhealthy zone, slows a large one, and counts zones apart', () => {
    now = 0;
    const l = new ZoneEvictionLimiter({ largeClusterSizeThreshold: 5 }, clock, silentLogger());
    fleet(l, 'small', 4, 3); // 3 of 4 not Ready (> 2 and ≥ 55%), 4 ≤ 5 nodes
    fleet(l, 'large', 10, 6); // 6 of 10, 10 > 5 nodes
    fleet(l, 'fine', 10, 1);
    expect([l.state('small'), l.state('large'), l.state('fine')]).toEqual([
      'PartialDisruption',
      'PartialDisruption',
      'Normal',
    ]);
    expect(l.rate('small')).toBe(0);
    expect(l.tryAcquire('small')).toBe(false);
    expect(l.rate('large')).toBe(0.01);
    expect(l.tryAcquire('large')).toBe(true);
    now += 10_000;
    expect(l.tryAcquire('large')).toBe(false); // 0.01/s: the next in 100 s
    now += 90_000;
    expect(l.tryAcquire('large')).toBe(true);
    expect(l.tryAcquire('fine')).toBe(true);
  });

  it('evicts from a fully disrupted zone while another is up, and nowhere when every zone is down', () => {
    now = 0;
    const l = new ZoneEvictionLimiter({}, clock, silentLogger());
    fleet(l, 'x', 3, 3);
    fleet(l, 'y', 3, 0);
    expect(l.state('x')).toBe('FullDisruption');
    expect(l.rate('x')).toBe(0.1);
    // y goes down too: every zone is down, the hub's own network is the likely cause.
    for (let i = 0; i < 3; i++) l.nodeChanged(node(`y-${i}`, 'y', 'True'), node(`y-${i}`, 'y', 'Unknown'));
    expect(l.state('y')).toBe('FullDisruption');
    expect([l.rate('x'), l.rate('y')]).toEqual([0, 0]);
    expect(l.tryAcquire('x')).toBe(false);
    // One node of y back: y is Normal, x evicts again.
    l.nodeChanged(node('y-0', 'y', 'Unknown'), node('y-0', 'y', 'True'));
    expect(l.state('y')).toBe('Normal');
    expect(l.rate('x')).toBe(0.1);
  });

  it('does not count registering nodes (no Ready condition) and follows deletes and zone moves', () => {
    now = 0;
    const l = new ZoneEvictionLimiter({}, clock, silentLogger());
    for (let i = 0; i < 5; i++) l.nodeChanged(undefined, node(`r${i}`, 'z', undefined));
    l.nodeChanged(undefined, node('ok', 'z', 'True'));
    expect(l.state('z')).toBe('Normal');
    for (let i = 0; i < 3; i++) l.nodeChanged(undefined, node(`d${i}`, 'z', 'Unknown'));
    expect(l.state('z')).toBe('PartialDisruption'); // 3 of 4 counted
    l.nodeChanged(node('d0', 'z', 'Unknown'), undefined);
    expect(l.state('z')).toBe('Normal'); // 2 not Ready: not more than two
    l.nodeChanged(node('ok', 'z', 'True'), node('ok', 'w', 'True'));
    expect(l.state('z')).toBe('FullDisruption');
    expect(l.state('w')).toBe('Normal');
  });
});

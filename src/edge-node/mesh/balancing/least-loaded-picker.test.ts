import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../api/index.js';
import type { PickContext, ServiceEndpoint } from './endpoint-picker.js';
import { LeastLoadedPicker } from './least-loaded-picker.js';

const KEY = 'default/web:80';

function ep(name: string, nodeName: string, zone?: string): ServiceEndpoint {
  return {
    pod: { namespace: 'default', name, uid: `uid-${name}` },
    nodeName,
    address: '127.0.0.1',
    meshPort: 1,
    ...(zone ? { zone } : {}),
    ready: true,
  };
}

function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** A random source cycling through `values`. */
function cycle(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** Starts `n` attempts on `e` that stay in flight. */
function load(picker: LeastLoadedPicker, e: ServiceEndpoint, n: number): void {
  for (let i = 0; i < n; i++) picker.begin(KEY, e);
}

function picks(picker: LeastLoadedPicker, candidates: ServiceEndpoint[], n: number, ctx: PickContext = {}): string[] {
  return Array.from({ length: n }, () => picker.pick(KEY, candidates, ctx)!.pod.name);
}

describe('LeastLoadedPicker: power of two choices', () => {
  it('takes the less loaded of the two sampled endpoints', () => {
    const [a, b, c] = [ep('a', 'n1'), ep('b', 'n1'), ep('c', 'n1')];
    // Samples (a, b) every time: index 0, then index 0 of the remaining two (b).
    const picker = new LeastLoadedPicker({ clock: fakeClock(), random: cycle(0, 0) });
    load(picker, a, 2);
    load(picker, b, 1);
    expect(picks(picker, [a, b, c], 3)).toEqual(['b', 'b', 'b']);
    load(picker, b, 2);
    expect(picker.pick(KEY, [a, b, c], {})!.pod.name).toBe('a');
  });

  it('never takes the most loaded of several endpoints, and counts attempts down when they end', () => {
    const eps = [ep('a', 'n1'), ep('b', 'n1'), ep('c', 'n1'), ep('d', 'n1')];
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    const ends = Array.from({ length: 5 }, () => picker.begin(KEY, eps[3]!));
    expect(picks(picker, eps, 200)).not.toContain('d');
    for (const end of ends) end('ok');
    ends[0]!('ok'); // a second call is ignored
    expect(picker.inFlight('uid-d')).toBe(0);
    expect(new Set(picks(picker, eps, 200))).toContain('d');
  });

  it('alternates between idle endpoints (ties go to the one picked longer ago)', () => {
    const [a, b] = [ep('a', 'n1'), ep('b', 'n2')];
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    const seq = picks(picker, [a, b], 6);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).not.toBe(seq[i - 1]);
  });

  it('spreads external traffic (no origin) over every endpoint, on any node', () => {
    const eps = [ep('a', 'n1'), ep('b', 'n2'), ep('c', 'n3', 'z1')];
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    expect(new Set(picks(picker, eps, 30))).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('LeastLoadedPicker: locality', () => {
  const local = ep('local', 'n1', 'z1');
  const sameZone = ep('zone', 'n2', 'z1');
  const far = ep('far', 'n3', 'z2');
  const all = [far, sameZone, local];
  const origin = { nodeName: 'n1', zone: 'z1' };

  it('keeps pod-originated calls on this node while it is not overloaded', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    expect(picks(picker, all, 10, { origin })).toEqual(Array<string>(10).fill('local'));
    load(picker, local, 3); // 3 more than the idle endpoints elsewhere: not yet "clearly" more
    expect(picker.pick(KEY, all, { origin })!.pod.name).toBe('local');
  });

  it('spills over to the same zone, then to the rest, when the preferred tier is overloaded', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    load(picker, local, 4); // ≥ 4 more than the best elsewhere (0) and ≥ 2× as many
    expect(picker.pick(KEY, all, { origin })!.pod.name).toBe('zone');
    load(picker, sameZone, 4);
    expect(picker.pick(KEY, all, { origin })!.pod.name).toBe('far');
    load(picker, far, 4); // all equal again: back home
    expect(picker.pick(KEY, all, { origin })!.pod.name).toBe('local');
  });

  it('tolerates up to twice the load elsewhere before spilling at higher load', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    load(picker, sameZone, 6);
    load(picker, far, 6);
    load(picker, local, 11); // 5 more, but less than 2 × 6
    expect(picker.pick(KEY, all, { origin })!.pod.name).toBe('local');
    load(picker, local, 1); // 12 = 2 × 6: overloaded
    expect(picker.pick(KEY, all, { origin })!.pod.name).not.toBe('local');
  });

  it('goes by node, then zone: without a zone the next tier is every other node', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    expect(picks(picker, [far, sameZone], 10, { origin: { nodeName: 'n9' } }).sort()).toEqual([
      ...Array<string>(5).fill('far'),
      ...Array<string>(5).fill('zone'),
    ]);
    expect(picks(picker, [far, sameZone], 5, { origin: { nodeName: 'n9', zone: 'z2' } })).toEqual(
      Array<string>(5).fill('far'),
    );
  });
});

describe('LeastLoadedPicker: passive ejection', () => {
  const [a, b] = [ep('a', 'n1'), ep('b', 'n2')];

  function fail(
    picker: LeastLoadedPicker,
    e: ServiceEndpoint,
    n: number,
    outcome: 'connect-error' | 'error' = 'connect-error',
  ): void {
    for (let i = 0; i < n; i++) picker.begin(KEY, e)(outcome);
  }

  it('ejects an endpoint after 5 consecutive failures and re-admits it after the cool-down', () => {
    const clock = fakeClock();
    const picker = new LeastLoadedPicker({ clock });
    fail(picker, a, 4);
    expect(picker.isEjected(KEY, a)).toBe(false);
    fail(picker, a, 1, 'error'); // 5xx answers count as much as connect failures
    expect(picker.isEjected(KEY, a)).toBe(true);
    expect(picks(picker, [a, b], 10)).toEqual(Array<string>(10).fill('b'));
    clock.advance(9_999);
    expect(picker.isEjected(KEY, a)).toBe(true);
    clock.advance(1);
    expect(picker.isEjected(KEY, a)).toBe(false);
    expect(new Set(picks(picker, [a, b], 10))).toEqual(new Set(['a', 'b']));
  });

  it('doubles the cool-down on repeat ejections, up to 5 minutes', () => {
    const clock = fakeClock();
    const picker = new LeastLoadedPicker({ clock });
    const coolDowns: number[] = [];
    for (let round = 0; round < 7; round++) {
      fail(picker, a, 5);
      let ms = 0;
      while (picker.isEjected(KEY, a)) {
        clock.advance(1_000);
        ms += 1_000;
      }
      coolDowns.push(ms / 1000);
    }
    expect(coolDowns).toEqual([10, 20, 40, 80, 160, 300, 300]);
  });

  it('forgets past ejections once the endpoint stayed in for the longest cool-down', () => {
    const clock = fakeClock();
    const picker = new LeastLoadedPicker({ clock });
    fail(picker, a, 5);
    clock.advance(10_000);
    fail(picker, a, 5);
    clock.advance(20_000);
    picker.begin(KEY, a)('ok');
    clock.advance(300_000);
    fail(picker, a, 5);
    clock.advance(10_000);
    expect(picker.isEjected(KEY, a)).toBe(false);
  });

  it('needs the failures in a row: a success, not a cancelled call, resets the count', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    fail(picker, a, 4);
    picker.begin(KEY, a)('ok');
    fail(picker, a, 4);
    expect(picker.isEjected(KEY, a)).toBe(false);
    picker.begin(KEY, a)('cancelled');
    fail(picker, a, 1);
    expect(picker.isEjected(KEY, a)).toBe(true);
  });

  it('never ejects every candidate: when all are ejected, all are used', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    fail(picker, a, 5);
    fail(picker, b, 5);
    expect(new Set(picks(picker, [a, b], 10))).toEqual(new Set(['a', 'b']));
    expect(picker.pick(KEY, [a], {})!.pod.name).toBe('a');
  });

  it('ejects per Service port', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    fail(picker, a, 5);
    expect(picker.isEjected('default/other:80', a)).toBe(false);
  });
});

describe('LeastLoadedPicker: ClientIP affinity', () => {
  const eps = [ep('a', 'n1'), ep('b', 'n2'), ep('c', 'n3')];

  it('keeps a client on its endpoint whatever the load, while it is a candidate', () => {
    const picker = new LeastLoadedPicker({ clock: fakeClock() });
    const first = picker.pick(KEY, eps, { affinityKey: '10.0.0.1' })!;
    load(picker, first, 50);
    expect(new Set(picks(picker, eps, 20, { affinityKey: '10.0.0.1' }))).toEqual(new Set([first.pod.name]));
    // Other clients are balanced (and so avoid the busy one).
    expect(picks(picker, eps, 20, { affinityKey: '10.0.0.2' })[0]).not.toBe(first.pod.name);
  });

  it('moves a client whose endpoint left (or was ejected), and keeps it at the new one', () => {
    const clock = fakeClock();
    const picker = new LeastLoadedPicker({ clock });
    const first = picker.pick(KEY, eps, { affinityKey: 'pod-uid-1' })!;
    const rest = eps.filter((e) => e !== first);
    const moved = picker.pick(KEY, rest, { affinityKey: 'pod-uid-1' })!;
    expect(moved).not.toBe(first);
    expect(new Set(picks(picker, eps, 10, { affinityKey: 'pod-uid-1' }))).toEqual(new Set([moved.pod.name]));
    for (let i = 0; i < 5; i++) picker.begin(KEY, moved)('connect-error');
    expect(picker.pick(KEY, eps, { affinityKey: 'pod-uid-1' })).not.toBe(moved);
  });

  it('forgets clients after the affinity timeout and endpoints that left every Service', () => {
    const clock = fakeClock();
    const picker = new LeastLoadedPicker({ clock, affinityTimeoutMs: 1000 });
    const first = picker.pick(KEY, eps, { affinityKey: 'c1' })!;
    load(picker, first, 10);
    clock.advance(1000);
    expect(picker.pick(KEY, eps, { affinityKey: 'c1' })).not.toBe(first);
    picker.retain(new Set(['uid-a']));
    expect(picker.inFlight(first.pod.uid)).toBe(10); // in flight: kept until those requests end
  });
});

import { describe, expect, it } from 'vitest';
import { ResourceCache } from './resource-cache.js';
import { shareEqualSubtrees } from './shared-subtrees.js';
import { StringInterner } from './string-interner.js';

type Tree = Record<string, unknown>;

/** A pod as the store hands it over: parsed from its text, so nothing in it is shared with anything. */
function parsedPod(i: number, change: (pod: Tree) => void = () => {}): Tree {
  const pod: Tree = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-7d9f8-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      labels: { app: 'web', 'pod-template-hash': '7d9f8' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8', uid: 'rs-uid' }],
    },
    spec: {
      containers: [{ name: 'web', image: 'registry.example.com/shop/catalog:1.4.2', ports: [{ containerPort: 8080 }] }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
  };
  change(pod);
  return JSON.parse(JSON.stringify(pod)) as Tree;
}

const at = (tree: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], tree);

describe('shareEqualSubtrees', () => {
  it("swaps the parts equal to the donor's for the donor's objects, keeps the rest, and the value and its JSON stay the same", () => {
    const strings = new StringInterner();
    const donor = parsedPod(1);
    const next = parsedPod(1, (p) => {
      (p.spec as Tree).nodeName = 'hollow-7';
      (p.status as Tree).phase = 'Running';
    });
    const text = JSON.stringify(next);
    const copy = structuredClone(next);

    expect(shareEqualSubtrees(next, donor, (s) => strings.intern(s))).toBe(false);

    expect(next).toEqual(copy);
    expect(JSON.stringify(next)).toBe(text);
    // Unchanged parts are now the donor's own objects.
    expect(at(next, 'metadata')).toBe(at(donor, 'metadata'));
    expect(at(next, 'spec', 'containers')).toBe(at(donor, 'spec', 'containers'));
    expect(at(next, 'spec', 'tolerations')).toBe(at(donor, 'spec', 'tolerations'));
    expect(at(next, 'status', 'conditions')).toBe(at(donor, 'status', 'conditions'));
    // Changed parts are not, and only their own strings went through the interner.
    expect(at(next, 'spec')).not.toBe(at(donor, 'spec'));
    expect(at(next, 'status')).not.toBe(at(donor, 'status'));
    expect(strings.size).toBe(2);
    expect(at(donor, 'status', 'phase')).toBe('Pending');
  });

  it('shares between siblings: only what differs (name, uid) stays their own', () => {
    const donor = parsedPod(1);
    const next = parsedPod(2);
    expect(shareEqualSubtrees(next, donor, (s) => s)).toBe(false);
    expect(at(next, 'metadata')).not.toBe(at(donor, 'metadata'));
    expect(at(next, 'metadata', 'labels')).toBe(at(donor, 'metadata', 'labels'));
    expect(at(next, 'metadata', 'ownerReferences')).toBe(at(donor, 'metadata', 'ownerReferences'));
    expect(at(next, 'spec')).toBe(at(donor, 'spec'));
    expect(at(next, 'status')).toBe(at(donor, 'status'));
    expect(at(next, 'metadata', 'name')).toBe('web-7d9f8-2');
  });

  it('reports a whole equal tree', () => {
    const donor = parsedPod(3);
    const next = parsedPod(3);
    expect(shareEqualSubtrees(next, donor, (s) => s)).toBe(true);
    expect(at(next, 'spec')).toBe(at(donor, 'spec'));
  });

  it('does not share a part whose keys are in another order, so the JSON written from it stays the same', () => {
    const donor = { labels: { a: '1', b: '2' }, list: [1, 2] };
    const next = JSON.parse('{"labels":{"b":"2","a":"1"},"list":[1,2]}') as Tree;
    const text = JSON.stringify(next);
    expect(shareEqualSubtrees(next, donor, (s) => s)).toBe(false);
    expect(next.labels).not.toBe(donor.labels);
    expect(next.list).toBe(donor.list);
    expect(JSON.stringify(next)).toBe(text);
  });

  it('tells apart extra and missing keys and items, arrays from objects, null, and scalars of another type', () => {
    const cases: [unknown, unknown][] = [
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1, b: 2 }, { a: 1 }],
      [{ a: undefined }, {}],
      [
        [1, 2],
        [1, 2, 3],
      ],
      [
        [1, 2, 3],
        [1, 2],
      ],
      [{ 0: 'x' }, ['x']],
      [['x'], { 0: 'x' }],
      [{ a: null }, { a: {} }],
      [{ a: {} }, { a: null }],
      [{ a: '1' }, { a: 1 }],
      [{ a: false }, { a: 0 }],
      [{ a: [] }, { a: {} }],
    ];
    for (const [donor, value] of cases) {
      const next = structuredClone({ v: value });
      const before = JSON.stringify(next);
      expect(
        shareEqualSubtrees(next, { v: donor }, (s) => s),
        JSON.stringify([donor, value]),
      ).toBe(false);
      expect(next.v).not.toBe(donor);
      expect(JSON.stringify(next)).toBe(before);
    }
    // No donor at all: nothing is shared, every string is interned.
    const strings = new StringInterner();
    const next = parsedPod(4);
    expect(shareEqualSubtrees(next, undefined, (s) => strings.intern(s))).toBe(false);
    // (Strings compare by value in JS, so the interner's table shows it took them.)
    const reference = new StringInterner();
    reference.internValues(parsedPod(4));
    expect(strings.size).toBe(reference.size);
  });

  it('takes nesting deeper than it walks without overflowing the stack, values unchanged', () => {
    const deep = (): unknown => JSON.parse(`${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`) as unknown;
    const next = { d: deep() };
    expect(() => shareEqualSubtrees(next, { d: deep() }, (s) => s)).not.toThrow();
    let bottom: unknown = next.d;
    for (let d = 0; d < 20_000; d++) bottom = (bottom as unknown[])[0];
    expect(bottom).toBe('x');
  });

  it('leaves frozen parts as they are (a cache holds them already), and a cache takes a frozen event value', () => {
    const deepFreeze = <T>(v: T): T => {
      if (v !== null && typeof v === 'object') for (const x of Object.values(Object.freeze(v))) deepFreeze(x);
      return v;
    };
    const donor = parsedPod(1);
    // A copy of a frozen value keeps its frozen parts (the detector froze what another cache took in).
    const frozen = deepFreeze(parsedPod(1, (p) => ((p.status as Tree).phase = 'Running')));
    const next = { ...frozen, metadata: { ...(frozen.metadata as Tree) } };
    const text = JSON.stringify(next);
    expect(() => shareEqualSubtrees(next, donor, (s) => s)).not.toThrow();
    expect(JSON.stringify(next)).toBe(text);
    expect(at(next, 'spec')).toBe(at(frozen, 'spec'));
    expect(shareEqualSubtrees({ spec: at(donor, 'spec') }, { spec: at(donor, 'spec') }, (s) => s)).toBe(true);

    const cache = new ResourceCache('/registry/pods/', 100, new StringInterner());
    const key = '/registry/pods/default/web-7d9f8-1';
    cache.load([{ key, value: parsedPod(1), modRevision: 2, createRevision: 2 }], 2);
    expect(() => cache.apply({ type: 'put', key, value: frozen, revision: 3, created: false })).not.toThrow();
    expect(cache.get(key)).toEqual({ ...frozen, metadata: { ...(frozen.metadata as Tree), resourceVersion: '3' } });
  });
});

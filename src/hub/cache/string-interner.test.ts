import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { StringInterner } from './string-interner.js';

/** A pod as the store hands it over: parsed from its text, so every string value is a new copy. */
function parsedPod(i: number): Record<string, unknown> {
  const text = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-7d9f8-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      generateName: 'web-7d9f8-',
      labels: { app: 'web', 'pod-template-hash': '7d9f8' },
      creationTimestamp: '2026-12-06T00:00:00Z',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8', uid: '0b6f3c1e-1111-2222-3333-444455556667' },
      ],
    },
    spec: {
      nodeName: `hollow-${i % 1000}`,
      containers: [{ name: 'web', image: 'registry.example.com/shop/catalog:1.4.2', ports: [{ containerPort: 8080 }] }],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-12-06T00:00:01Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-06T00:00:00Z' },
      ],
      containerStatuses: [
        { name: 'web', image: 'registry.example.com/shop/catalog:1.4.2', ready: true, restartCount: 0 },
      ],
    },
    extra: [null, 1, true, ['nested', { deep: 'value' }]],
  });
  return JSON.parse(text) as Record<string, unknown>;
}

/** The heap in use after a full collection (the flag is set back: the worker is shared with other files). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return process.memoryUsage().heapUsed;
}

describe('StringInterner', () => {
  it('leaves the values equal, in objects, arrays and nested arrays, and keeps null and scalars', () => {
    const strings = new StringInterner();
    const pod = parsedPod(1);
    const before = structuredClone(pod);
    expect(strings.internValues(pod)).toBe(pod);
    expect(pod).toEqual(before);
    expect(strings.internValues(null)).toBeNull();
    expect(strings.internValues('text')).toBe('text');
    // Nesting deeper than the walk goes (JSON.parse takes it): no stack overflow, values unchanged.
    const deep = JSON.parse(`${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`) as unknown;
    expect(() => strings.internValues(deep)).not.toThrow();
    let bottom: unknown = deep;
    for (let d = 0; d < 20_000; d++) bottom = (bottom as unknown[])[0];
    expect(bottom).toBe('x');
  });

  it('keeps one copy of each repeated value: 5,000 interned pods take less heap than 5,000 parsed ones', () => {
    const n = 5000;
    /** Heap held by `n` pods made by `make`, measured while they are alive. */
    const held = (make: (i: number) => unknown): number => {
      const base = heapAfterGc();
      const pods = Array.from({ length: n }, (_, i) => make(i));
      const bytes = heapAfterGc() - base;
      expect(pods).toHaveLength(n);
      return bytes;
    };
    const plainBytes = held(parsedPod);
    const strings = new StringInterner();
    const internedBytes = held((i) => strings.internValues(parsedPod(i)));
    // The repeated timestamps, image, owner uid, … go: measured 0.84 of the plain heap (objects and keys stay).
    expect(internedBytes).toBeLessThan(plainBytes * 0.92);
  });

  it('is bounded: it forgets all once full, and does not hold strings past the length cap', () => {
    const strings = new StringInterner({ maxEntries: 3, maxLength: 8 });
    for (const s of ['a', 'b', 'c']) strings.intern(s);
    expect(strings.size).toBe(3);
    expect(strings.intern('b')).toBe('b');
    expect(strings.size).toBe(3);
    strings.intern('d');
    expect(strings.size).toBe(1);
    expect(strings.intern('a-very-long-value')).toBe('a-very-long-value');
    expect(strings.size).toBe(1);
  });
});

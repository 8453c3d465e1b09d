import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pod } from './pod.js';
import { nodeRelevant, podHash } from './wire-pod-resume.js';

/**
 * The hash as protocol 9 defined it (and as agents already running compute it): SHA-256 of
 * `JSON.stringify` with every object's keys sorted by a replacer, 96 bits in base64url.
 */
function definedHash(pod: Pod): string {
  const text = JSON.stringify(nodeRelevant(pod), (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** Object keys: any string, and index-like ones ("0", "10", "4294967295", "01") that JavaScript orders apart. */
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.nat().map(String),
  fc.constantFrom('4294967294', '4294967295', '01', '-1', '1.5'),
);

/** Any JSON-like value: every string (lone surrogates too), numbers, nested objects with undefined members. */
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('any'), { maxLength: 5 }),
    fc.dictionary(key, tie('any'), { maxKeys: 6 }),
  ),
})).any;

describe('podHash', () => {
  it('is the hash protocol 9 defined, for any pod fields whatever their order, so every agent version agrees', () => {
    fc.assert(
      fc.property(
        fc.record({ uid: fc.uuid(), labels: fc.dictionary(key, fc.string()), spec: value, extra: value }),
        ({ uid, labels, spec, extra }) => {
          const pod = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { uid, labels, generation: 3 },
            spec: { containers: [{ name: 'main', image: 'app.wasm' }], nodeName: 'n-1', extra, more: spec },
          } as unknown as Pod;
          expect(podHash(pod)).toBe(definedHash(pod));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('does not move when keys come in another order, and moves when what the node sees changes', () => {
    const a = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { uid: 'u', labels: { a: '1', b: '2' } },
      spec: { nodeName: 'n', containers: [{ name: 'm', image: 'x.wasm' }] },
    } as Pod;
    const b = {
      kind: 'Pod',
      apiVersion: 'v1',
      spec: { containers: [{ image: 'x.wasm', name: 'm' }], nodeName: 'n' },
      metadata: { labels: { b: '2', a: '1' }, uid: 'u' },
    } as Pod;
    expect(podHash(a)).toBe(podHash(b));
    expect(podHash({ ...a, status: { phase: 'Running' } })).toBe(podHash(a));
    expect(podHash({ ...a, spec: { ...a.spec, nodeName: 'other' } })).not.toBe(podHash(a));
  });
});

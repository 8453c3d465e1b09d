/** Properties of selectors: format and parse agree, and matching follows each operator's meaning. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSelector,
  fromMatchLabels,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type Requirement,
} from './selectors.js';

const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const key = fc.oneof(
  name,
  fc.tuple(name, name).map(([p, n]) => `${p}.io/${n}`),
);
const values = fc.uniqueArray(name, { minLength: 1, maxLength: 4 });
const requirement: fc.Arbitrary<Requirement> = fc.oneof(
  key.map((k) => ({ key: k, op: 'Exists' as const, values: [] })),
  key.map((k) => ({ key: k, op: 'DoesNotExist' as const, values: [] })),
  fc.tuple(key, values).map(([k, v]) => ({ key: k, op: 'In' as const, values: v })),
  fc.tuple(key, values).map(([k, v]) => ({ key: k, op: 'NotIn' as const, values: v })),
);
const labels = fc.dictionary(key, name, { maxKeys: 6 });

/** What a requirement means, written out independently of the implementation. */
function holds(r: Requirement, l: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(l, r.key);
  switch (r.op) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
      return has && r.values.includes(l[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(l[r.key]!);
  }
}

describe('label selector properties', () => {
  it('parse(format(s)) matches exactly what s matches', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 5 }), labels, (sel, l) => {
        const reparsed = parseLabelSelector(formatSelector(sel));
        expect(matchesLabels(reparsed, l)).toBe(sel.every((r) => holds(r, l)));
      }),
    );
  });

  it('format(parse(text)) is a fixed point after one round', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 5 }), (sel) => {
        const once = formatSelector(parseLabelSelector(formatSelector(sel)));
        expect(formatSelector(parseLabelSelector(once))).toBe(once);
      }),
    );
  });

  it('matchLabels selects a label set exactly when it contains them all', () => {
    fc.assert(
      fc.property(labels, labels, (want, have) => {
        const contains = Object.entries(want).every(([k, v]) => have[k] === v);
        expect(matchesLabels(fromMatchLabels(want), have)).toBe(contains);
        expect(matchesLabels(fromMatchLabels(want), { ...have, ...want })).toBe(true);
      }),
    );
  });

  it('never throws anything but a refusal, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        for (const parse of [parseLabelSelector, parseFieldSelector]) {
          try {
            parse(text);
          } catch (err) {
            expect((err as { httpStatus?: unknown }).httpStatus).toBe(400);
          }
        }
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ObjectEnvelope, ObjectList } from '../../api/index.js';
import { readEnvelope, readList } from './envelope.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'demo', resourceVersion: '7' } };

// Answers of every shape the zod schemas tell apart; the zod-free readers must give the same verdict.
const objects: unknown[] = [
  pod,
  { ...pod, spec: { anything: true } },
  { apiVersion: 'v1', kind: 'Pod', metadata: {} },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 1, kind: 'Pod', metadata: {} },
  { apiVersion: 'v1', metadata: {} },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 3 } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: 7 } },
  { apiVersion: 'v1', kind: 'Pod', metadata: [] },
  null,
  [],
  'Pod',
];
const lists: unknown[] = [
  { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '9' }, items: [pod, pod] },
  { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: { remainingItemCount: 2, continue: 'x' }, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: { remainingItemCount: -1 }, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: { remainingItemCount: 1.5 }, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: 9 }, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [pod, { kind: 'Pod', metadata: {} }] },
  { apiVersion: 'v1', kind: 'PodList', metadata: {} },
  { apiVersion: 'v1', kind: 'PodList', items: [] },
  { kind: 'PodList', metadata: {}, items: [] },
  { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: {} },
  null,
];

describe('zod-free answer envelopes', () => {
  it.each(objects.map((o) => [JSON.stringify(o), o]))('readEnvelope agrees with ObjectEnvelope on %s', (_, o) => {
    const r = readEnvelope(o);
    expect(r.ok).toBe(ObjectEnvelope.safeParse(o).success);
    if (r.ok) expect(r.value).toBe(o);
    else expect(r.causes[0]?.field).toBeTypeOf('string');
  });

  it.each(lists.map((l) => [JSON.stringify(l), l]))('readList agrees with ObjectList on %s', (_, l) => {
    expect(readList(l).ok).toBe(ObjectList.safeParse(l).success);
  });

  it('names the field that is wrong', () => {
    const r = readList({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [pod, { ...pod, kind: 5 }] });
    expect(r).toEqual({
      ok: false,
      causes: [{ field: 'items[1].kind', message: 'expected string', reason: 'FieldValueInvalid' }],
    });
  });
});

/** Properties of strategic merge patch: what holds for any pod spec and any patch of its containers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patchMetaOf } from '../../../api/index.js';
import { mergePatch } from '../patch.js';
import { strategicMergePatch } from './strategic-merge.js';

const POD = patchMetaOf('Pod');
const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const env = fc.uniqueArray(fc.record({ name, value: fc.string({ maxLength: 3 }) }), {
  selector: (e) => e.name,
  maxLength: 4,
});
const container = fc.record({ name, image: fc.constantFrom('x', 'y', 'z'), env });
const containers = fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 5 });
const pod = containers.map((cs) => ({ metadata: { name: 'p' }, spec: { containers: cs } }));
type Container = { name: string; image?: string; env?: { name: string; value: string }[] };
const namesOf = (o: unknown): string[] =>
  ((o as { spec: { containers: Container[] } }).spec.containers ?? []).map((c) => c.name);

/** Plain JSON maps with no lists and no `$` keys: where strategic merge patch is JSON merge patch. */
const plainMap = fc.letrec((tie) => ({
  map: fc.dictionary(
    fc.constantFrom('k', 'l', 'm', 'n'),
    fc.oneof({ maxDepth: 3 }, fc.string({ maxLength: 2 }), fc.integer(), fc.constant(null), tie('map')),
    { maxKeys: 4 },
  ),
})).map;

describe('strategic merge patch properties', () => {
  it('an empty patch changes nothing', () => {
    fc.assert(
      fc.property(pod, (p) => {
        expect(strategicMergePatch(p, {}, POD)).toEqual(p);
      }),
    );
  });

  it('is JSON merge patch on maps without lists or directives', () => {
    fc.assert(
      fc.property(plainMap, plainMap, (live, patch) => {
        const cleaned = mergePatch({}, live); // a live object holds no nulls
        expect(strategicMergePatch(cleaned, patch, undefined)).toEqual(mergePatch(cleaned, patch));
      }),
    );
  });

  it('containers merge by name: every name once, live names kept, patched fields win', () => {
    fc.assert(
      fc.property(pod, containers, (live, patched) => {
        const out = strategicMergePatch(live, { spec: { containers: patched } }, POD);
        const names = namesOf(out);
        expect(new Set(names).size).toBe(names.length);
        expect(new Set(names)).toEqual(new Set([...namesOf(live), ...patched.map((c) => c.name)]));
        const byName = new Map((out.spec as { containers: Container[] }).containers.map((c) => [c.name, c]));
        for (const c of patched) {
          expect(byName.get(c.name)?.image).toBe(c.image);
          const envNames = (byName.get(c.name)?.env ?? []).map((e) => e.name);
          for (const e of c.env) expect(envNames).toContain(e.name);
        }
      }),
    );
  });

  it('is idempotent, and $patch: delete removes exactly the named containers', () => {
    fc.assert(
      fc.property(pod, containers, fc.uniqueArray(name, { maxLength: 3 }), (live, patched, gone) => {
        const keep = patched.filter((c) => !gone.includes(c.name));
        const patch = { spec: { containers: [...keep, ...gone.map((n) => ({ name: n, $patch: 'delete' }))] } };
        const once = strategicMergePatch(live, patch, POD);
        expect(strategicMergePatch(once, patch, POD)).toEqual(once);
        for (const n of gone) expect(namesOf(once)).not.toContain(n);
      }),
    );
  });

  it('$setElementOrder naming every element gives exactly that order', () => {
    fc.assert(
      fc.property(pod, containers, (live, patched) => {
        const all = [...new Set([...namesOf(live), ...patched.map((c) => c.name)])].reverse();
        const patch = {
          spec: { '$setElementOrder/containers': all.map((n) => ({ name: n })), containers: patched },
        };
        expect(namesOf(strategicMergePatch(live, patch, POD))).toEqual(all);
      }),
    );
  });
});

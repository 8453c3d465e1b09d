/**
 * `edgectl label`, `annotate` and `patch` against a real hub, compared with what the real kubectl (v1.32)
 * prints for the same change to a twin object (edgectl changes cm-1, kubectl cm-2).
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { T, seedConfigMaps, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub(seedConfigMaps);

describe('label, annotate and patch', () => {
  it('label sets, refuses to overwrite without --overwrite, removes: the same lines as kubectl', async () => {
    // edgectl works on cm-1, kubectl on cm-2: the messages must match once the names are swapped.
    const steps = [['tier=web'], ['tier=db'], ['tier=db', '--overwrite'], ['tier-'], ['tier-']];
    for (const step of steps) {
      const mine = await p.edgectl(['label', 'cm', 'cm-1', ...step]);
      const theirs = await p.kubectl(['label', 'cm', 'cm-2', ...step]);
      expect({ code: mine.code, out: mine.out, err: mine.err.replace('cm-1', 'cm-2') }).toEqual({
        code: theirs.code,
        out: theirs.out.replace('cm-2', 'cm-1'),
        err: theirs.err,
      });
    }
    const obj = await p.hub.api.get(T('cm'), 'default', 'cm-1');
    expect(obj.metadata.labels ?? {}).toEqual({});
  });

  it('label -l and annotate by TYPE/NAME', async () => {
    expect((await p.edgectl(['label', 'cm', '-l', 'missing!=x', 'batch=1'])).out).toContain('configmap/cm-10 labeled');
    const mine = await p.edgectl(['annotate', 'configmap/cm-1', 'note=hello world']);
    const theirs = await p.kubectl(['annotate', 'configmap/cm-2', 'note=hello world']);
    expect(mine.out).toBe(theirs.out.replace('cm-2', 'cm-1'));
    expect((await p.hub.api.get(T('cm'), 'default', 'cm-1')).metadata.annotations).toMatchObject({
      note: 'hello world',
    });
  });

  it('patch: strategic (default), merge and json, and "(no change)"', async () => {
    for (const [args, name] of [
      [['-p', '{"data":{"color":"green"}}'], 'a'],
      [['-p', '{"data":{"color":"green"}}'], 'b'],
      [['--type', 'merge', '-p', '{"data":{"size":"L"}}'], 'c'],
      [['--type', 'json', '-p', '[{"op":"remove","path":"/data/size"}]'], 'd'],
    ] as const) {
      const mine = await p.edgectl(['patch', 'cm', 'cm-1', ...args]);
      const theirs = await p.kubectl(['patch', 'cm', 'cm-2', ...args]);
      expect({ step: name, code: mine.code, out: mine.out }).toEqual({
        step: name,
        code: theirs.code,
        out: theirs.out.replace('cm-2', 'cm-1'),
      });
    }
    expect((await p.hub.api.get<KubeObject & { data?: unknown }>(T('cm'), 'default', 'cm-1')).data).toEqual({
      color: 'green',
    });
  });
});

/**
 * `edgectl get` output formats against a real hub, compared with what the real kubectl (v1.32) prints
 * against the same hub: -o jsonpath, -o custom-columns, --sort-by, and the error for an unknown -o.
 */
import { describe, expect, it } from 'vitest';
import { seedConfigMaps, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub(seedConfigMaps);

describe('get output formats, as kubectl prints them', () => {
  it('-o jsonpath over a list, a range, a filter and one object', async () => {
    expect(await p.same(['get', 'cm', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('cm-1 cm-10 cm-2');
    await p.same(['get', 'cm', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.data.color}{"\\n"}{end}']);
    expect(await p.same(['get', 'cm', '-o', 'jsonpath={.items[?(@.data.color=="red")].metadata.name}'])).toBe(
      'cm-1 cm-2',
    );
    expect(await p.same(['get', 'cm', 'cm-10', '-o', 'jsonpath={.data}'])).toBe('{"color":"blue"}');
    await p.same(['get', 'cm', 'cm-10', '-o', 'jsonpath-as-json={.metadata.name}']);
  });

  it('-o custom-columns, with <none> for a missing field, and --no-headers', async () => {
    const out = await p.same(['get', 'cm', '-o', 'custom-columns=NAME:.metadata.name,COLOR:.data.color,X:.data.none']);
    expect(out.split('\n')[0]).toMatch(/^NAME +COLOR +X$/);
    expect(out).toContain('<none>');
    await p.same(['get', 'cm', '--no-headers', '-o', 'custom-columns=NAME:metadata.name,COLOR:{.data.color}']);
  });

  it('--sort-by on strings (byte order, as kubectl) and on a data field', async () => {
    expect(await p.same(['get', 'cm', '--sort-by=.metadata.name', '-o', 'name'])).toBe(
      'configmap/cm-1\nconfigmap/cm-10\nconfigmap/cm-2\n',
    );
    await p.same(['get', 'cm', '--sort-by={.data.color}', '-o', 'custom-columns=N:.metadata.name']);
  });

  it('an unknown -o format names the allowed ones', async () => {
    const r = await p.edgectl(['get', 'cm', '-o', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('allowed formats are: custom-columns,custom-columns-file,json,jsonpath,');
  });
});

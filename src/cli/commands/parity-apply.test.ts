/**
 * `edgectl apply --dry-run=client|server`, `-R` and `--server-side` against a real hub: the dry runs print
 * what the real kubectl (v1.32) prints against the same hub and store nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploymentYaml, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub();

describe('apply --dry-run, -R, --server-side', () => {
  it('dry runs print what kubectl prints and store nothing', async () => {
    await writeFile(join(p.dir, 'dry.yaml'), deploymentYaml('dry'));
    for (const mode of ['client', 'server']) await p.same(['apply', '--dry-run=' + mode, '-f', 'dry.yaml']);
    expect(await p.edgectl(['get', 'deploy', 'dry'])).toMatchObject({ code: 1 });
  });

  it('-R reads subdirectories; --server-side reports serverside-applied', async () => {
    await mkdir(join(p.dir, 'tree', 'sub'), { recursive: true });
    await writeFile(join(p.dir, 'tree', 'a.yaml'), deploymentYaml('tree-a'));
    await writeFile(join(p.dir, 'tree', 'sub', 'b.yaml'), deploymentYaml('tree-b'));
    expect((await p.edgectl(['apply', '-f', 'tree'])).out).toBe('deployment.apps/tree-a created\n');
    expect((await p.edgectl(['apply', '-R', '-f', 'tree'])).out).toBe(
      'deployment.apps/tree-a unchanged\ndeployment.apps/tree-b created\n',
    );
    const ssa = await p.edgectl(['apply', '--server-side', '-f', 'tree/a.yaml']);
    expect(ssa).toMatchObject({ code: 0, out: 'deployment.apps/tree-a serverside-applied\n' });
  });
});

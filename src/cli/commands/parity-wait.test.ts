/**
 * `edgectl wait --for=condition|jsonpath` against a real hub, compared with the real kubectl (v1.32)
 * waiting on the same objects (a Deployment applied by edgectl, a ConfigMap), and a wait that a
 * watched change ends.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import type { ParityHub } from '../testing/parity-harness.js';
import { T, deploymentYaml, seedConfigMaps, until, useParityHub } from '../testing/parity-fixtures.js';

/** The ConfigMaps, and the Deployment tree-a as `edgectl apply` stores it. */
async function setup(parity: ParityHub): Promise<void> {
  await seedConfigMaps(parity);
  await writeFile(join(parity.dir, 'tree-a.yaml'), deploymentYaml('tree-a'));
  const applied = await parity.edgectl(['apply', '-f', 'tree-a.yaml']);
  if (applied.code !== 0) throw new Error(`apply tree-a: ${applied.err}`);
}

const p = useParityHub(setup);

describe('wait', () => {
  it('--for=condition and --for=jsonpath print what kubectl prints; a timeout fails the same way', async () => {
    const d = await p.hub.api.get(T('deploy'), 'default', 'tree-a');
    await p.hub.api.updateStatus(T('deploy'), {
      ...d,
      status: { replicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
    });
    await p.same(['wait', 'deploy/tree-a', '--for=condition=Available', '--timeout=5s']);
    await p.same(['wait', 'deploy', 'tree-a', '--for=jsonpath={.spec.replicas}=1', '--timeout=5s']);
    const mine = await p.edgectl(['wait', 'deploy/tree-a', '--for=condition=Progressing', '--timeout=1s']);
    const theirs = await p.kubectl(['wait', 'deploy/tree-a', '--for=condition=Progressing', '--timeout=1s']);
    expect(mine).toEqual({ code: theirs.code, out: theirs.out, err: theirs.err });
  });

  it('returns when a watched change meets the condition', async () => {
    const seen = p.hub.requests.length;
    const waiting = p.edgectl(['wait', 'cm/cm-10', '--for=jsonpath={.data.color}=purple', '--timeout=20s']);
    await until(() =>
      p.hub.requests.slice(seen).some((r) => r.includes('watch=true') && r.includes('metadata.name%3Dcm-10')),
    );
    const cur = await p.hub.api.get<KubeObject & { data?: Record<string, string> }>(T('cm'), 'default', 'cm-10');
    await p.hub.api.update(T('cm'), { ...cur, data: { color: 'purple' } });
    expect(await waiting).toEqual({ code: 0, out: 'configmap/cm-10 condition met\n', err: '' });
  });
});

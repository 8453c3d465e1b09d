/**
 * `edgectl explain` and per-kind field selectors against a real hub app, each compared with what the
 * real kubectl (v1.32) prints against the same hub: the same stdout, stderr and exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS } from '../../api/index.js';
import { startParityHub, type ParityHub } from '../testing/parity-harness.js';

let p: ParityHub;

beforeAll(async () => {
  p = await startParityHub();
});

afterAll(async () => p.close());

/** Runs `args` through both CLIs and expects the same output and exit code. */
async function same(args: string[]): Promise<void> {
  const [mine, theirs] = [await p.edgectl(args), await p.kubectl(args)];
  expect(mine, args.join(' ')).toEqual(theirs);
}

describe('explain, as kubectl explain', () => {
  it('prints every kind the hub serves', async () => {
    for (const t of RESOURCE_KINDS) await same(['explain', t.plural]);
  });

  it('prints the field tree with --recursive', async () => {
    for (const name of ['pods', 'deployments', 'hpa', 'httproutes']) await same(['explain', name, '--recursive']);
  });

  it('follows field paths through objects, arrays, maps and enums', async () => {
    for (const path of [
      'pods.spec',
      'pods.spec.containers',
      'pods.spec.containers.ports',
      'pods.metadata.labels',
      'deploy.spec.strategy',
      'deploy.spec.template.spec.containers.resources',
      'jobs.spec.template.spec.restartPolicy',
      'svc.spec.ports.targetPort',
      'nodes.status',
    ])
      await same(['explain', path]);
    await same(['explain', 'pods.spec.containers', '--recursive']);
  });

  it('says a field does not exist after the header, with exit code 1', async () => {
    const r = await p.edgectl(['explain', 'pods.spec.bogus']);
    expect(r).toEqual({
      code: 1,
      out: 'KIND:       Pod\nVERSION:    v1\n\n',
      err: 'error: field "bogus" does not exist\n',
    });
    await same(['explain', 'pods.spec.bogus']);
  });
});

describe('field selectors per kind, as the Kubernetes API refuses them', () => {
  it('answers a supported field and refuses the others in the same words', async () => {
    await same(['get', 'pods', '--field-selector', 'status.phase=Running']);
    await same(['get', 'pods', '--field-selector', 'type=Warning']);
    await same(['get', 'nodes', '--field-selector', 'metadata.namespace=default']);
    await same(['get', 'configmaps', '--field-selector', 'data.color=red']);
    await same(['get', 'events', '--field-selector', 'type=Warning,source=edge-hub']);
    await same(['get', 'secrets', '--field-selector', 'type=Opaque']);
  });
});

/**
 * `edgectl explain`, `diff -f` and per-kind field selectors against a real hub app, each compared with what the
 * real kubectl (v1.32) prints against the same hub: the same stdout, stderr and exit code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../../api/index.js';
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
    for (const t of RESOURCE_TYPES) await same(['explain', t.plural]);
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

describe('diff -f, as kubectl diff', () => {
  /** The temp directories and file times differ from run to run: the rest must not. */
  const normal = (r: { code: number; out: string; err: string }): typeof r => ({
    ...r,
    out: r.out
      .replace(/\/\S*?\/(LIVE|MERGED)-[^/\s]+\//g, '<$1>/')
      .replace(/\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4}/g, '\t<time>'),
  });
  const cm = (color: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diff-config\ndata:\n  color: ${color}\n  size: big\n`;
  const deploy = (image: string): string =>
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: diff-web\nspec:\n  replicas: 2\n' +
    '  selector:\n    matchLabels: {app: diff-web}\n  template:\n    metadata:\n      labels: {app: diff-web}\n' +
    `    spec:\n      containers:\n      - name: main\n        image: ${image}\n`;
  // kubectl diff --server-side with edgectl's field manager merges exactly as edgectl apply does.
  const KUBECTL_AS_APPLY = ['--server-side', '--force-conflicts', '--field-manager=edgectl'];

  it('shows a change as a unified diff with exit code 1, and no change with exit code 0', async () => {
    await writeFile(join(p.dir, 'v1.yaml'), `${cm('red')}---\n${deploy('registry.example/web:1')}`);
    await writeFile(join(p.dir, 'v2.yaml'), `${cm('blue')}---\n${deploy('registry.example/web:2')}`);
    expect((await p.edgectl(['apply', '-f', 'v1.yaml'])).code).toBe(0);

    const mine = normal(await p.edgectl(['diff', '-f', 'v2.yaml']));
    const theirs = normal(await p.kubectl(['diff', '-f', 'v2.yaml', ...KUBECTL_AS_APPLY]));
    expect(mine).toEqual(theirs);
    expect(mine.code).toBe(1);
    expect(mine.out).toContain('-  color: red\n+  color: blue\n');
    expect(mine.out).toContain('-      - image: registry.example/web:1\n+      - image: registry.example/web:2\n');

    const unchanged = await p.edgectl(['diff', '-f', 'v1.yaml']);
    expect(unchanged).toEqual({ code: 0, out: '', err: '' });
    expect(unchanged).toEqual(await p.kubectl(['diff', '-f', 'v1.yaml', ...KUBECTL_AS_APPLY]));
  });

  it('diffs a new object against an empty file, and hides Secret values', async () => {
    const secret = (v: string): string =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: diff-secret\ntype: Opaque\nstringData:\n  password: ${v}\n  user: admin\n`;
    await writeFile(join(p.dir, 's1.yaml'), secret('one'));
    await writeFile(join(p.dir, 's2.yaml'), secret('two'));
    const created = await p.edgectl(['diff', '-f', 's1.yaml']);
    expect(created.code).toBe(1);
    expect(created.out).toMatch(/^@@ -0,0 \+1,\d+ @@$/m);
    expect(created.out).not.toContain(Buffer.from('one').toString('base64'));
    expect((await p.edgectl(['apply', '-f', 's1.yaml'])).code).toBe(0);
    const changed = await p.edgectl(['diff', '-f', 's2.yaml']);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain('-  password: "*** (before)"\n+  password: "*** (after)"\n');
    expect(changed.out).not.toMatch(/^[-+]\s+user:/m);
    expect(changed.out).not.toContain(Buffer.from('two').toString('base64'));
  });

  it('exits with more than 1 on an error, as kubectl', async () => {
    const mine = await p.edgectl(['diff', '-f', 'missing.yaml']);
    const theirs = await p.kubectl(['diff', '-f', 'missing.yaml']);
    expect(mine.code).toBeGreaterThan(1);
    expect(theirs.code).toBeGreaterThan(1);
  });
});

describe('edit, as kubectl edit', () => {
  const configMap = (name: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  color: red\n`;

  it('saves an edit made in $EDITOR, and says when nothing changed', async () => {
    await writeFile(join(p.dir, 'edit.yaml'), `${configMap('edit-1')}---\n${configMap('edit-2')}`);
    expect((await p.edgectl(['apply', '-f', 'edit.yaml'])).code).toBe(0);
    const editor = { EDITOR: 'sed -i s/color:.red/color:\\ green/' };
    const mine = await p.edgectl(['edit', 'cm/edit-1'], { env: editor });
    const theirs = await p.kubectl(['edit', 'cm/edit-2'], { env: editor });
    expect(mine).toEqual({ ...theirs, out: theirs.out.replace('edit-2', 'edit-1') });
    expect(mine.out).toBe('configmap/edit-1 edited\n');
    const got = await p.edgectl(['get', 'cm', 'edit-1', '-o', 'jsonpath={.data.color}']);
    expect(got.out).toBe('green');

    const untouched = { EDITOR: 'true' };
    expect(await p.edgectl(['edit', 'configmap', 'edit-1'], { env: untouched })).toEqual(
      await p.kubectl(['edit', 'configmap', 'edit-2'], { env: untouched }),
    );
  });

  it('reopens an invalid edit with the error as a comment, and KUBE_EDITOR wins over EDITOR', async () => {
    await writeFile(
      join(p.dir, 'deploy.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: edit-web\nspec:\n  replicas: 1\n' +
        '  selector:\n    matchLabels: {app: edit-web}\n  template:\n    metadata:\n      labels: {app: edit-web}\n' +
        '    spec:\n      containers:\n      - name: main\n        image: registry.example/web:1\n',
    );
    expect((await p.edgectl(['apply', '-f', 'deploy.yaml'])).code).toBe(0);
    // First save: replicas -1 (refused). Second: the file must carry the hub's reason; fix it.
    const script = join(p.dir, 'editor.sh');
    await writeFile(
      script,
      [
        '#!/bin/sh',
        `n=$(cat "${p.dir}/calls" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${p.dir}/calls"`,
        'if [ $n = 1 ]; then sed -i "s/replicas: 1$/replicas: -1/" "$1"; exit 0; fi',
        `grep '^# \\* spec.replicas: Invalid value: -1' "$1" > "${p.dir}/seen"`,
        'sed -i "s/replicas: -1$/replicas: 3/" "$1"',
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    const r = await p.edgectl(['edit', 'deploy', 'edit-web'], { env: { KUBE_EDITOR: script, EDITOR: 'false' } });
    expect(r).toEqual({ code: 0, out: 'deployment.apps/edit-web edited\n', err: '' });
    expect(await readFile(join(p.dir, 'calls'), 'utf8')).toBe('2\n');
    expect(await readFile(join(p.dir, 'seen'), 'utf8')).toContain('must be greater than or equal to 0');
    const got = await p.edgectl(['get', 'deploy', 'edit-web', '-o', 'jsonpath={.spec.replicas}']);
    expect(got.out).toBe('3');
  });
});

/**
 * The real kubectl (`/usr/bin/kubectl`) applying, patching, editing and diffing against a real TLS
 * hub, as admin through the kubeconfig the hub writes. kubectl computes its own strategic merge
 * patches (three-way, with `$setElementOrder` and `$patch: delete`), so this checks the hub applies
 * them as Kubernetes does, and that server-side apply, field managers, conflicts and dry runs work.
 * kubectl runs with its default validation (it reads the hub's `/openapi/v3` first). The Gateway API
 * kinds and Flagger's Canary go through the same verbs: tables, describe, explain, wait, patch, edit.
 */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../src/api/index.js';
import { Cluster, ROOT, kind } from './support/cluster.js';
import { kubectl as runKubectl, requireKubectl } from './support/kubectl.js';
import { kubectlRoutesSuite } from './support/kubectl-routes.js';

/** A Deployment manifest; `containers` as `name=image` pairs. */
function deployment(
  name: string,
  opts: { replicas?: number; labels?: Record<string, string>; containers: string[] },
): string {
  const labels = Object.entries({ app: name, ...opts.labels })
    .map(([k, v]) => `    ${k}: ${v}`)
    .join('\n');
  const containers = opts.containers
    .map((c) => c.split('='))
    .map(([n, image]) => `        - name: ${n}\n          image: ${image}`)
    .join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
${labels}
spec:
${opts.replicas === undefined ? '' : `  replicas: ${opts.replicas}\n`}  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
${containers}
`;
}

describe('kubectl apply, patch, edit and diff against the hub', () => {
  const cluster = new Cluster();
  const admin = () => join(cluster.hubDir, 'admin.kubeconfig');
  const kubectl = (args: string[], env?: Record<string, string>) => runKubectl(admin(), args, env ? { env } : {});
  const file = (name: string, text: string): string => {
    const path = join(cluster.dir, name);
    writeFileSync(path, text);
    return path;
  };
  const getDeploy = (name: string) => cluster.client.get<Deployment>(kind('deployments'), 'default', name);
  const names = (d: Deployment) => d.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`);

  beforeAll(async () => {
    requireKubectl();
    await cluster.startHub();
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('client-side apply twice: last-applied recorded, a removed field removed, an added container merged by name', async () => {
    const v1 = file(
      'web-v1.yaml',
      deployment('web', { replicas: 2, labels: { tier: 'fe' }, containers: ['main=a.wasm'] }),
    );
    const created = await kubectl(['apply', '-f', v1]);
    expect(created.err).toBe('');
    expect({ code: created.code, out: created.out.trim() }).toEqual({ code: 0, out: 'deployment.apps/web created' });
    const live1 = await getDeploy('web');
    const lastApplied = JSON.parse(
      live1.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}',
    ) as Deployment;
    expect(lastApplied.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
    expect(live1.metadata.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
      ['kubectl-client-side-apply', 'Update'],
    ]);

    // Another writer adds a label and a container: the next apply keeps both (three-way merge).
    const label = await kubectl(['label', 'deployment', 'web', 'owner=ops']);
    expect(label.code, label.err).toBe(0);
    const side = await kubectl([
      'patch',
      'deployment',
      'web',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"extra","image":"x.wasm"}]}}}}',
    ]);
    expect(side.code, side.err).toBe(0);

    const v2 = file(
      'web-v2.yaml',
      deployment('web', { replicas: 2, containers: ['main=b.wasm', 'side=s.wasm'] }), // tier removed
    );
    const configured = await kubectl(['apply', '-f', v2]);
    expect({ code: configured.code, out: configured.out.trim(), err: configured.err }).toEqual({
      code: 0,
      out: 'deployment.apps/web configured',
      err: '',
    });
    const live2 = await getDeploy('web');
    expect(live2.metadata.labels).toEqual({ app: 'web', owner: 'ops' });
    expect(names(live2).sort()).toEqual(['extra=x.wasm', 'main=b.wasm', 'side=s.wasm']);
    // The applied containers keep the manifest's order ($setElementOrder).
    expect(names(live2).filter((n) => !n.startsWith('extra'))).toEqual(['main=b.wasm', 'side=s.wasm']);

    // A container removed from the manifest goes ($patch: delete); the other writer's stays.
    const v3 = file('web-v3.yaml', deployment('web', { replicas: 2, containers: ['main=b.wasm'] }));
    const removed = await kubectl(['apply', '-f', v3]);
    expect(removed.code, removed.err).toBe(0);
    expect(names(await getDeploy('web')).sort()).toEqual(['extra=x.wasm', 'main=b.wasm']);

    // With a container only the server has, kubectl's patch still carries $setElementOrder (so it says
    // "configured", as against Kubernetes); the hub finds nothing to change in the spec or the
    // last-applied record. (Not the resourceVersion: the Deployment controller writes status meanwhile.)
    const before = await getDeploy('web');
    const again = await kubectl(['apply', '-f', v3]);
    expect(again.code, again.err).toBe(0);
    const after = await getDeploy('web');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
  });

  it('client-side apply merges env and ports by the merge keys the hub publishes (OpenAPI v3, and v2 protobuf)', async () => {
    const manifest = (env: string[], ports: number[]): string =>
      deployment('mk', { replicas: 1, containers: ['main=a.wasm'] }).replace(
        '          image: a.wasm\n',
        `          image: a.wasm\n          env:\n${env
          .map((e) => e.split('='))
          .map(([n, v]) => `            - name: ${n}\n              value: "${v}"\n`)
          .join('')}` + `          ports:\n${ports.map((p) => `            - containerPort: ${p}\n`).join('')}`,
      );
    const live = async () => {
      const c = (await getDeploy('mk')).spec.template.spec.containers[0];
      return {
        env: (c?.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`).sort(),
        ports: (c?.ports ?? []).map((p) => p.containerPort),
      };
    };
    expect((await kubectl(['apply', '-f', file('mk1.yaml', manifest(['A=1'], [8080]))])).code).toBe(0);
    // Another writer adds a variable (merged by name on the hub).
    const side = await kubectl([
      'patch',
      'deployment',
      'mk',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"EXTRA","value":"x"}]}]}}}}',
    ]);
    expect(side.code, side.err).toBe(0);
    expect(await live()).toEqual({ env: ['A=1', 'EXTRA=x'], ports: [8080] });

    // kubectl -v=5 logs "OpenAPI V3 path does not support strategic merge patch" when the hub's PATCH
    // operation does not list it and then falls back to its compiled-in types; here it computes the
    // three-way patch from the hub's document, with no warning.
    const v2 = await kubectl(['apply', '-v=5', '-f', file('mk2.yaml', manifest(['A=2', 'B=3'], [8080, 9090]))]);
    expect(v2.code, v2.err).toBe(0);
    expect(v2.err).not.toMatch(/does not support strategic merge patch|does not exist|warning:/);
    expect(await live()).toEqual({ env: ['A=2', 'B=3', 'EXTRA=x'], ports: [8080, 9090] });

    // The same through OpenAPI v2 (kubectl's fallback, the protobuf document's vendor extensions).
    const v2only = await kubectl(['apply', '-f', file('mk3.yaml', manifest(['A=4'], [9090]))], {
      KUBECTL_OPENAPIV3_PATCH: 'false',
    });
    expect({ code: v2only.code, err: v2only.err }).toEqual({ code: 0, err: '' });
    expect(await live()).toEqual({ env: ['A=4', 'EXTRA=x'], ports: [9090] });

    // diff computes the same patch: only the changed variable shows.
    const diff = await kubectl(['diff', '-f', file('mk4.yaml', manifest(['A=5'], [9090]))]);
    expect(diff.code, diff.err).toBe(1);
    expect(diff.out).toMatch(/^-\s+value: "4"$/m);
    expect(diff.out).toMatch(/^\+\s+value: "5"$/m);
    expect(diff.out).not.toMatch(/^[-+]\s+name: EXTRA$/m);
    const explain = await kubectl(['explain', 'deployment.spec.template.spec.containers.env']);
    expect(explain.code, explain.err).toBe(0);
    expect(explain.out).toMatch(/FIELD: env <\[\]EnvVar>/);
  });

  it('apply --prune -l with --prune-allowlist (kubectl), and edgectl apply --prune -l', async () => {
    const cm = (name: string, app: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels:\n    app: ${app}\ndata:\n  k: v\n`;
    const cms = async (app: string) =>
      (await cluster.client.list(kind('configmaps'), { namespace: 'default', labelSelector: `app=${app}` })).items
        .map((c) => c.metadata.name)
        .sort();
    // kubectl: the set shrinks to pr-a; pr-b (applied before) goes; pr-manual (not applied) stays.
    const both = file('pr-both.yaml', `${cm('pr-a', 'pr')}---\n${cm('pr-b', 'pr')}`);
    expect((await kubectl(['apply', '-f', both])).code).toBe(0);
    const manual = await kubectl(['create', 'configmap', 'pr-manual']);
    expect(manual.code, manual.err).toBe(0);
    expect((await kubectl(['label', 'configmap', 'pr-manual', 'app=pr'])).code).toBe(0);
    const one = file('pr-one.yaml', cm('pr-a', 'pr'));
    const pruned = await kubectl([
      'apply',
      '-f',
      one,
      '--prune',
      '-l',
      'app=pr',
      '--prune-allowlist=core/v1/ConfigMap',
    ]);
    expect({ code: pruned.code, err: pruned.err }).toEqual({ code: 0, err: '' });
    expect(pruned.out.trim().split('\n')).toEqual(['configmap/pr-a unchanged', 'configmap/pr-b pruned']);
    expect(await cms('pr')).toEqual(['pr-a', 'pr-manual']);

    // edgectl (server-side apply as manager edgectl): the same, by its field manager.
    const eboth = file('ep-both.yaml', `${cm('ep-a', 'ep')}---\n${cm('ep-b', 'ep')}`);
    const first = await cluster.edgectl(['apply', '-f', eboth]);
    expect(first.code, first.stderr).toBe(0);
    expect((await kubectl(['create', 'configmap', 'ep-manual'])).code).toBe(0);
    expect((await kubectl(['label', 'configmap', 'ep-manual', 'app=ep'])).code).toBe(0);
    const eone = file('ep-one.yaml', cm('ep-a', 'ep'));
    const refused = await cluster.edgectl(['apply', '-f', eone, '--prune']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--prune needs a label selector');
    const epruned = await cluster.edgectl(['apply', '-f', eone, '--prune', '-l', 'app=ep']);
    expect({ code: epruned.code, err: epruned.stderr }).toEqual({ code: 0, err: '' });
    expect(epruned.stdout.trim().split('\n')).toEqual(['configmap/ep-a unchanged', 'configmap/ep-b pruned']);
    expect(await cms('ep')).toEqual(['ep-a', 'ep-manual']);
  });

  it('server-side apply: creates, names the conflicting field and manager, --force-conflicts takes it', async () => {
    const v1 = file('ssa.yaml', deployment('ssa', { replicas: 2, containers: ['main=a.wasm'] }));
    const created = await kubectl(['apply', '--server-side', '-f', v1]);
    expect({ code: created.code, out: created.out.trim(), err: created.err }).toEqual({
      code: 0,
      out: 'deployment.apps/ssa serverside-applied',
      err: '',
    });
    const live = await getDeploy('ssa');
    const mine = live.metadata.managedFields?.find((m) => m.manager === 'kubectl');
    expect(mine).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(mine?.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {} } });

    const scaled = await kubectl(['patch', 'deployment', 'ssa', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
    expect(scaled.code, scaled.err).toBe(0);
    const v2 = file('ssa-v2.yaml', deployment('ssa', { replicas: 4, containers: ['main=a.wasm'] }));
    const conflict = await kubectl(['apply', '--server-side', '-f', v2]);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-patch" using apps/v1: .spec.replicas',
    );
    expect((await getDeploy('ssa')).spec.replicas).toBe(3);

    const forced = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', v2]);
    expect(forced.code, forced.err).toBe(0);
    const after = await getDeploy('ssa');
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.managedFields?.map((m) => m.manager)).not.toContain('kubectl-patch');

    // managedFields stay out of edgectl's printers, as kubectl leaves them out of its own.
    const yaml = await cluster.edgectl(['get', 'deployment', 'ssa', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).not.toContain('managedFields');
    const kyaml = await kubectl(['get', 'deployment', 'ssa', '-o', 'yaml']);
    expect(kyaml.out).not.toContain('managedFields');
    const shown = await kubectl(['get', 'deployment', 'ssa', '-o', 'yaml', '--show-managed-fields']);
    expect(shown.out).toContain('manager: kubectl');
  });

  it('patch --type strategic (the default), merge and json', async () => {
    const base = file('p.yaml', deployment('p', { replicas: 1, containers: ['main=a.wasm', 'two=t.wasm'] }));
    expect((await kubectl(['apply', '-f', base])).code).toBe(0);

    const strategic = await kubectl([
      'patch',
      'deployment',
      'p',
      '--type=strategic',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"two","$patch":"delete"},{"name":"main","image":"b.wasm"}]}}}}',
    ]);
    expect({ code: strategic.code, out: strategic.out.trim() }).toEqual({ code: 0, out: 'deployment.apps/p patched' });
    expect(names(await getDeploy('p'))).toEqual(['main=b.wasm']);

    const merge = await kubectl([
      'patch',
      'deployment',
      'p',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"m":"1"}}}',
    ]);
    expect(merge.code, merge.err).toBe(0);
    expect((await getDeploy('p')).metadata.labels).toMatchObject({ m: '1' });

    const json = await kubectl([
      'patch',
      'deployment',
      'p',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":3}]',
    ]);
    expect(json.code, json.err).toBe(0);
    const d = await getDeploy('p');
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.managedFields?.find((m) => m.manager === 'kubectl-patch')?.fieldsV1).toMatchObject({
      'f:spec': { 'f:replicas': {} },
    });

    const noop = await kubectl([
      'patch',
      'deployment',
      'p',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]',
    ]);
    expect(noop.code).not.toBe(0);
  });

  // The Gateway API kinds and Flagger's Canary through the same verbs, and a GatewayClass's finalizer.
  kubectlRoutesSuite(cluster, kubectl, file);

  it('edit with KUBE_EDITOR (a script that changes the image)', async () => {
    const base = file('e.yaml', deployment('e', { replicas: 1, containers: ['main=before.wasm'] }));
    expect((await kubectl(['apply', '-f', base])).code).toBe(0);
    const editor = file('editor.sh', '#!/bin/sh\nsed -i "s/before\\.wasm/after.wasm/" "$1"\n');
    chmodSync(editor, 0o755);
    const edited = await kubectl(['edit', 'deployment', 'e'], { KUBE_EDITOR: editor });
    expect({ code: edited.code, out: edited.out.trim(), err: edited.err }).toEqual({
      code: 0,
      out: 'deployment.apps/e edited',
      err: '',
    });
    const d = await getDeploy('e');
    expect(names(d)).toEqual(['main=after.wasm']);
    expect(d.metadata.managedFields?.map((m) => m.manager)).toContain('kubectl-edit');
  });

  it('diff: exit 1 with the change shown (server-side dry run, nothing stored), 0 without', async () => {
    const v1 = file('d.yaml', deployment('d', { replicas: 1, containers: ['main=a.wasm'] }));
    const absent = await kubectl(['diff', '-f', v1]);
    expect(absent.code, absent.err).toBe(1);
    expect(absent.out).toMatch(/^\+\s+name: d$/m);
    await expect(getDeploy('d')).rejects.toThrow(/not found/);

    expect((await kubectl(['apply', '-f', v1])).code).toBe(0);
    const unchanged = await kubectl(['apply', '-f', v1]);
    expect(unchanged.out.trim()).toBe('deployment.apps/d unchanged');
    const same = await kubectl(['diff', '-f', v1]);
    expect({ code: same.code, out: same.out, err: same.err }).toEqual({ code: 0, out: '', err: '' });

    const before = await getDeploy('d');
    const v2 = file('d2.yaml', deployment('d', { replicas: 5, containers: ['main=a.wasm'] }));
    const changed = await kubectl(['diff', '-f', v2]);
    expect(changed.code, changed.err).toBe(1);
    expect(changed.out).toMatch(/^-\s+replicas: 1$/m);
    expect(changed.out).toMatch(/^\+\s+replicas: 5$/m);
    const after = await getDeploy('d');
    expect(after.spec.replicas).toBe(1);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('edgectl diff and apply --dry-run=server of a local .wasm image show the reference an apply writes, uploading nothing', async () => {
    const bytes = readFileSync(join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm'));
    writeFileSync(join(cluster.dir, 'local.wasm'), bytes);
    const ref = `edgeplane.hub/local.wasm@sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const manifest = file('local.yaml', deployment('local', { containers: ['main=./local.wasm'] }));
    const diff = await cluster.edgectl(['diff', '-f', manifest]);
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stdout.split('\n').filter((l) => l.startsWith('+') && l.includes('image:'))).toEqual([
      expect.stringMatching(new RegExp(`image: ${ref.replaceAll('.', '\\.')}$`)),
    ]);
    const dry = await cluster.edgectl(['apply', '--dry-run=server', '-f', manifest]);
    expect({ code: dry.code, out: dry.stdout, err: dry.stderr }).toEqual({
      code: 0,
      out: 'deployment.apps/local created (server dry run)\n',
      err: '',
    });
    await expect(getDeploy('local')).rejects.toThrow(/not found/);
    // The apply uploads the file and writes the same reference.
    expect((await cluster.edgectl(['apply', '-f', manifest])).code).toBe(0);
    expect(names(await getDeploy('local'))).toEqual([`main=${ref}`]);
  });
});

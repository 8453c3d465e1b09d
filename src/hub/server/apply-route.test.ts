import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigMap, Deployment, KubeObject, ManagedFieldsEntry } from '../../api/index.js';
import { createHarness, readJson, readStatus, type Harness, type TestResponse } from './testdata/harness.js';

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const APPLY = { contentType: 'application/apply-patch+yaml' };
const MERGE = { contentType: 'application/merge-patch+json' };
const STRATEGIC = { contentType: 'application/strategic-merge-patch+json' };

const manifest = (replicas: number, labels = 'app: web\n    tier: fe') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    ${labels}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: main
          image: hello.wasm
`;

const entry = (obj: KubeObject, manager: string): ManagedFieldsEntry | undefined =>
  (obj.metadata.managedFields ?? []).find((m) => m.manager === manager);
/** A Deployment answer. */
const deploy = (res: TestResponse): Promise<Deployment> => readJson<Deployment>(res);

describe('server-side apply and field managers over the API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates on apply, records owners, answers conflicts with 409 naming field and manager, and forces', async () => {
    const created = await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(2), APPLY);
    expect(created.status).toBe(201);
    const c = await deploy(created);
    const alice = entry(c, 'alice');
    expect(alice).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(alice?.fieldsV1['f:spec']?.['f:replicas']).toEqual({});
    expect(alice?.fieldsV1['f:metadata']?.['f:labels']).toEqual({ '.': {}, 'f:app': {}, 'f:tier': {} });
    expect(
      alice?.fieldsV1['f:spec']?.['f:template']?.['f:spec']?.['f:containers']?.['k:{"name":"main"}'],
    ).toMatchObject({
      '.': {},
      'f:image': {},
    });

    // Another writer changes replicas with a merge patch: it becomes the field's owner.
    const bob = await h.req('PATCH', `${DEPLOYS}/web?fieldManager=bob`, { spec: { replicas: 3 } }, MERGE);
    expect(bob.status).toBe(200);
    const b = await deploy(bob);
    expect(entry(b, 'bob')).toMatchObject({ operation: 'Update' });
    expect(entry(b, 'bob')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(entry(b, 'alice')?.fieldsV1['f:spec']).toBeDefined(); // alice still owns the rest of the spec
    expect(entry(b, 'alice')?.fieldsV1['f:spec']?.['f:replicas']).toBeUndefined();

    // Same value: shared, no conflict. Another value: 409 as Kubernetes words it.
    expect((await h.req('PATCH', `${DEPLOYS}/web?fieldManager=carol`, manifest(3), APPLY)).status).toBe(200);
    const conflict = await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(5), APPLY);
    expect(conflict.status).toBe(409);
    const s = await readStatus(conflict);
    expect(s).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    expect(s.message).toContain('Apply failed with 2 conflicts: conflict with "bob" using apps/v1: .spec.replicas');
    expect(s.details?.causes).toEqual(
      expect.arrayContaining([
        { reason: 'FieldManagerConflict', message: 'conflict with "bob" using apps/v1', field: '.spec.replicas' },
        { reason: 'FieldManagerConflict', message: 'conflict with "carol" using apps/v1', field: '.spec.replicas' },
      ]),
    );
    expect((await deploy(await h.req('GET', `${DEPLOYS}/web`))).spec.replicas).toBe(3);

    const forced = await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice&force=true`, manifest(5), APPLY);
    expect(forced.status).toBe(200);
    const f = await deploy(forced);
    expect(f.spec.replicas).toBe(5);
    expect(entry(f, 'alice')?.fieldsV1['f:spec']?.['f:replicas']).toEqual({});
    expect(entry(f, 'bob')).toBeUndefined();
  });

  it('removes a field the applier dropped and no one else owns; keeps one another manager owns', async () => {
    await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(2), APPLY);
    await h.req('PATCH', `${DEPLOYS}/web?fieldManager=bob`, { metadata: { labels: { owner: 'bob' } } }, MERGE);
    const res = await h.req(
      'PATCH',
      `${DEPLOYS}/web?fieldManager=alice`,
      manifest(2, 'app: web\n    owner: bob'),
      APPLY,
    );
    expect(res.status).toBe(200);
    const obj = await deploy(res);
    expect(obj.metadata.labels).toEqual({ app: 'web', owner: 'bob' });
    expect(obj.spec.replicas).toBe(2);
    const dropped = await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(2, 'app: web'), APPLY);
    expect((await deploy(dropped)).metadata.labels).toEqual({ app: 'web', owner: 'bob' });
  });

  it('refuses an apply without fieldManager or with managedFields', async () => {
    expect((await h.req('PATCH', `${DEPLOYS}/web`, manifest(1), APPLY)).status).toBe(400);
    const withManaged = manifest(1).replace('  name: web\n', '  name: web\n  managedFields: []\n');
    expect((await h.req('PATCH', `${DEPLOYS}/web?fieldManager=a`, withManaged, APPLY)).status).toBe(400);
  });

  it('honours dryRun=All on create, update and patch: the answer is the result, nothing is stored', async () => {
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'dry' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'dry' } },
        template: { metadata: { labels: { app: 'dry' } }, spec: { containers: [{ name: 'main', image: 'x.wasm' }] } },
      },
    };
    const dry = await h.req('POST', `${DEPLOYS}?dryRun=All`, body);
    expect(dry.status).toBe(201);
    expect((await deploy(dry)).metadata.uid).toBeTruthy();
    expect((await h.req('GET', `${DEPLOYS}/dry`)).status).toBe(404);
    const dryApply = manifest(1).replace('name: web', 'name: dry');
    expect((await h.req('PATCH', `${DEPLOYS}/dry?dryRun=All&fieldManager=a`, dryApply, APPLY)).status).toBe(201);
    expect((await h.req('GET', `${DEPLOYS}/dry`)).status).toBe(404);

    const live = await deploy(await h.req('POST', DEPLOYS, body));
    const patched = await h.req('PATCH', `${DEPLOYS}/dry?dryRun=All`, { spec: { replicas: 4 } }, STRATEGIC);
    expect((await deploy(patched)).spec.replicas).toBe(4);
    const put = await h.req('PUT', `${DEPLOYS}/dry?dryRun=All`, { ...live, spec: { ...live.spec, replicas: 5 } });
    expect((await deploy(put)).spec.replicas).toBe(5);
    const after = await deploy(await h.req('GET', `${DEPLOYS}/dry`));
    expect(after.spec.replicas).toBe(1);
    expect(after.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
    expect((await h.req('POST', `${DEPLOYS}?dryRun=Some`, body)).status).toBe(400);
  });

  it('serves strategic merge patch by the kind’s merge keys: a container added merges by name', async () => {
    await h.req('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(1), APPLY);
    const res = await h.req(
      'PATCH',
      `${DEPLOYS}/web?fieldManager=kubectl-patch`,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'main' }, { name: 'side' }],
              containers: [{ name: 'side', image: 'side.wasm' }],
            },
          },
        },
      },
      STRATEGIC,
    );
    expect(res.status).toBe(200);
    const obj = await deploy(res);
    expect(obj.spec.template.spec.containers.map((c) => c.name)).toEqual(['main', 'side']);
    expect(
      entry(obj, 'kubectl-patch')?.fieldsV1['f:spec']?.['f:template']?.['f:spec']?.['f:containers'],
    ).toHaveProperty(['k:{"name":"side"}', 'f:image']);
  });
});

describe('server-side apply authorisation', () => {
  const patcher = { name: 'patcher', token: 'patcher-token-0123456789', groups: [] };
  it('needs create as well as patch when the apply creates the object', async () => {
    const h = await createHarness({ users: [patcher] });
    try {
      const rbac = '/apis/rbac.authorization.k8s.io/v1';
      const role = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm-patch', namespace: 'default' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }],
      };
      expect((await h.req('POST', `${rbac}/namespaces/default/roles`, role)).status).toBe(201);
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'cm-patch', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-patch' },
        subjects: [{ kind: 'User', name: 'patcher' }],
      };
      expect((await h.req('POST', `${rbac}/namespaces/default/rolebindings`, binding)).status).toBe(201);
      const cm = (v: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"${v}"}}`;
      const path = '/api/v1/namespaces/default/configmaps/c?fieldManager=p';
      const denied = await h.req('PATCH', path, cm('1'), { ...APPLY, token: patcher.token });
      expect(denied.status).toBe(403);
      expect((await h.req('GET', '/api/v1/namespaces/default/configmaps/c')).status).toBe(404);
      expect((await h.req('PATCH', path, cm('1'), APPLY)).status).toBe(201);
      const allowed = await h.req('PATCH', path, cm('2'), { ...APPLY, token: patcher.token });
      expect(allowed.status).toBe(200);
      expect((await readJson<ConfigMap>(allowed)).data).toEqual({ k: '2' });
    } finally {
      await h.close();
    }
  });
});

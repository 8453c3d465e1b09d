import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment, ObjectList, Pod, Scale, Service } from '../../api/index.js';
import { deployment, pod } from '../registry/testing/web-objects.js';
import { createHarness, readJson, readStatus, type Harness } from './testdata/harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ now: () => Date.parse('2025-01-01T00:00:00Z') });
});
afterEach(() => h.close());

describe('auth', () => {
  it('serves health and version without a token, nothing else', async () => {
    expect((await h.req('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    expect((await h.req('GET', '/readyz', undefined, { token: null })).status).toBe(200);
    expect(await readJson<object>(await h.req('GET', '/version', undefined, { token: null }))).toMatchObject({
      gitVersion: 'v0.0.0-test',
    });
    for (const [token, path] of [
      [null, PODS],
      ['wrong', PODS],
      [null, '/no/such/path'],
      [null, '/apis/edgeplane.io/v1/blobs/sha256:00'],
    ] as const) {
      const res = await h.req('GET', path, undefined, { token });
      expect(res.status).toBe(401);
      expect(await readStatus(res)).toMatchObject({ status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  it('serves a request as the user it impersonates (kubectl --as/--as-group), decided for that user', async () => {
    const as = (headers: Record<string, string>, token: string | null = h.auth.adminToken) =>
      h.app.request(PODS, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    // The admin may impersonate; ann herself has no rights, so the request is refused naming her.
    const ann = await as({ 'Impersonate-User': 'ann' });
    expect(ann.status).toBe(403);
    expect((await readStatus(ann)).message).toBe(
      'pods is forbidden: User "ann" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    // Groups joined by Fetch (", ") are split back: as ann in system:masters the list is served.
    const masters = await as({ 'Impersonate-User': 'ann', 'Impersonate-Group': 'ops, system:masters' });
    expect(masters.status).toBe(200);
    // A group without a user is a bad request; without a valid credential it is a 401 first, as any request.
    expect((await as({ 'Impersonate-Group': 'system:masters' })).status).toBe(400);
    expect((await as({ 'impersonate-user': 'ann' }, null)).status).toBe(401);
  });

  it('lets node tokens only read blobs', async () => {
    const res = await h.req('GET', PODS, undefined, { token: h.auth.joinToken });
    expect(res.status).toBe(403);
    expect((await readStatus(res)).reason).toBe('Forbidden');
    const blob = await h.req('GET', `/apis/edgeplane.io/v1/blobs/sha256:${'0'.repeat(64)}`, undefined, {
      token: h.auth.joinToken,
    });
    expect(blob.status).toBe(404);
  });
});

describe('objects', () => {
  it('round-trips create, get, list, update, delete', async () => {
    const created = await h.req('POST', DEPLOYS, deployment());
    expect(created.status).toBe(201);
    const d = await readJson<Deployment>(created);
    expect(d.metadata).toMatchObject({ name: 'web', namespace: 'default', generation: 1 });
    const got = await readJson<Deployment>(await h.req('GET', `${DEPLOYS}/web`));
    expect(got).toEqual(d);
    const list = await readJson<ObjectList<Deployment>>(await h.req('GET', DEPLOYS));
    expect(list).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'DeploymentList',
      metadata: { resourceVersion: d.metadata.resourceVersion },
    });
    expect(list.items).toHaveLength(1);
    expect(
      (await readJson<ObjectList<Deployment>>(await h.req('GET', '/apis/apps/v1/deployments'))).items,
    ).toHaveLength(1);

    // A no-op update keeps the resourceVersion; a spec change bumps generation; metadata does not.
    const same = await readJson<Deployment>(await h.req('PUT', `${DEPLOYS}/web`, deployment()));
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    const labelled = await readJson<Deployment>(
      await h.req('PUT', `${DEPLOYS}/web`, { ...deployment(), metadata: { name: 'web', labels: { a: 'b' } } }),
    );
    expect(labelled.metadata.generation).toBe(1);
    const scaled = await readJson<Deployment>(await h.req('PUT', `${DEPLOYS}/web`, deployment(4)));
    expect(scaled.metadata.generation).toBe(2);

    const stale = await h.req('PUT', `${DEPLOYS}/web`, {
      ...deployment(5),
      metadata: { name: 'web', resourceVersion: d.metadata.resourceVersion },
    });
    expect(stale.status).toBe(409);
    expect((await readStatus(stale)).reason).toBe('Conflict');

    const del = await h.req('DELETE', `${DEPLOYS}/web`);
    expect(del.status).toBe(200);
    expect((await h.req('GET', `${DEPLOYS}/web`)).status).toBe(404);
  });

  it('patches with merge patch and JSON patch', async () => {
    await h.req('POST', DEPLOYS, deployment());
    const merged = await h.req(
      'PATCH',
      `${DEPLOYS}/web`,
      { spec: { replicas: 7 }, metadata: { labels: { x: 'y' } } },
      { contentType: 'application/merge-patch+json' },
    );
    expect(merged.status).toBe(200);
    expect((await readJson<Deployment>(merged)).spec.replicas).toBe(7);
    const strategic = await h.req(
      'PATCH',
      `${DEPLOYS}/web`,
      { metadata: { labels: null } },
      { contentType: 'application/strategic-merge-patch+json' },
    );
    expect((await readJson<Deployment>(strategic)).metadata.labels).toBeUndefined();
    const jp = await h.req('PATCH', `${DEPLOYS}/web`, [{ op: 'replace', path: '/spec/replicas', value: 1 }], {
      contentType: 'application/json-patch+json',
    });
    expect((await readJson<Deployment>(jp)).spec.replicas).toBe(1);
    expect((await h.req('PATCH', `${DEPLOYS}/web`, { spec: {} }, { contentType: 'application/json' })).status).toBe(
      415,
    );
  });

  it('answers Kubernetes Status errors', async () => {
    const bad = deployment(-1);
    const invalid = await h.req('POST', DEPLOYS, bad);
    expect(invalid.status).toBe(422);
    const s = await readStatus(invalid);
    expect(s).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(s.details?.causes?.map((c) => c.field)).toContain('spec.replicas');
    // An unknown field is a strict decoding error (fieldValidation=Strict, the default): 400, as kube-apiserver.
    const withUnknown = deployment();
    (withUnknown.spec.template.spec.containers[0] as Record<string, unknown>).imagee = 'x';
    const strict = await h.req('POST', DEPLOYS, withUnknown);
    expect(strict.status).toBe(400);
    expect(await readStatus(strict)).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
      message:
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagee"',
    });

    const malformed = await h.req('POST', DEPLOYS, '{"apiVersion": ');
    expect(malformed.status).toBe(400);
    expect((await readStatus(malformed)).message).toMatch(/invalid JSON/);
    expect((await h.req('POST', DEPLOYS, 'x: 1', { contentType: 'text/plain' })).status).toBe(415);
    expect((await h.req('POST', PODS, { ...pod('a'), metadata: { name: 'a', namespace: 'other' } })).status).toBe(400);
    expect((await h.req('POST', PODS, { ...pod('a'), kind: 'Service' })).status).toBe(400);
    expect((await h.req('POST', '/api/v1/namespaces/nope/pods', pod('a'))).status).toBe(404);
    expect((await h.req('POST', PODS, 'x'.repeat(4 * 1024 * 1024))).status).toBe(413);
    const unknown = await h.req('GET', '/api/v1/namespaces/default/widgets');
    expect(unknown.status).toBe(404);
    expect(await readStatus(unknown)).toMatchObject({ kind: 'Status', code: 404 });
    expect((await h.req('GET', '/nowhere')).status).toBe(404);
    await h.req('POST', PODS, pod('a'));
    const dup = await h.req('POST', PODS, pod('a'));
    expect(dup.status).toBe(409);
    expect((await readStatus(dup)).reason).toBe('AlreadyExists');
  });

  it('filters lists by label and field selectors', async () => {
    await h.req('POST', PODS, pod('a', { nodeName: 'pi-1' }));
    await h.req('POST', PODS, { ...pod('b'), metadata: { name: 'b', labels: { app: 'db' } } });
    const byLabel = await readJson<ObjectList<Pod>>(
      await h.req('GET', `${PODS}?labelSelector=${encodeURIComponent('app=web')}`),
    );
    expect(byLabel.items.map((p) => p.metadata.name)).toEqual(['a']);
    const byField = await readJson<ObjectList<Pod>>(
      await h.req('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=pi-1')}`),
    );
    expect(byField.items.map((p) => p.metadata.name)).toEqual(['a']);
    expect((await h.req('GET', `${PODS}?fieldSelector=spec.bogus=1`)).status).toBe(400);
  });

  it('deletes a bound pod gracefully', async () => {
    await h.req('POST', PODS, pod('a', { nodeName: 'pi-1' }));
    const res = await h.req('DELETE', `${PODS}/a`);
    const p = await readJson<Pod>(res);
    expect(p.metadata.deletionTimestamp).toBe('2025-01-01T00:00:30Z');
    expect(p.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await h.req('GET', `${PODS}/a`)).status).toBe(200);
    expect((await h.req('DELETE', `${PODS}/a`, { gracePeriodSeconds: 0 })).status).toBe(200);
    expect((await h.req('GET', `${PODS}/a`)).status).toBe(404);
  });

  it('allocates node ports and refuses a taken one', async () => {
    const svc = (name: string, nodePort?: number) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] },
    });
    const a = await readJson<Service>(await h.req('POST', '/api/v1/namespaces/default/services', svc('a')));
    const port = a.spec.ports?.[0]?.nodePort;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(port).toBeLessThanOrEqual(32767);
    const clash = await h.req('POST', '/api/v1/namespaces/default/services', svc('b', port));
    expect(clash.status).toBe(422);
    expect((await readStatus(clash)).details?.causes?.[0]?.field).toBe('spec.ports[0].nodePort');
  });
});

describe('subresources', () => {
  it('serves and updates status and scale', async () => {
    await h.req('POST', DEPLOYS, deployment(2));
    const scale = await readJson<Scale>(await h.req('GET', `${DEPLOYS}/web/scale`));
    expect(scale).toMatchObject({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: 'app=web' },
    });
    const put = await h.req('PUT', `${DEPLOYS}/web/scale`, {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web' },
      spec: { replicas: 5 },
    });
    expect((await readJson<Scale>(put)).spec.replicas).toBe(5);
    const patched = await h.req(
      'PATCH',
      `${DEPLOYS}/web/scale`,
      { spec: { replicas: 3 } },
      { contentType: 'application/merge-patch+json' },
    );
    expect((await readJson<Scale>(patched)).spec.replicas).toBe(3);
    const d = await readJson<Deployment>(await h.req('GET', `${DEPLOYS}/web`));
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(3);
    expect((await h.req('PUT', `${DEPLOYS}/web/scale`, { spec: { replicas: -1 } })).status).toBe(422);

    const status = await h.req('PUT', `${DEPLOYS}/web/status`, {
      ...d,
      status: { replicas: 3, observedGeneration: 3 },
    });
    expect((await readJson<Deployment>(status)).status).toEqual({ replicas: 3, observedGeneration: 3 });
    expect((await h.req('GET', `${PODS}/x/scale`)).status).toBe(404);
  });

  it('streams pod logs', async () => {
    await h.req('POST', PODS, pod('a'));
    const res = await h.req('GET', `${PODS}/a/log?tailLines=5`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('default/a line 1\nmain line 2\ntail=5 line 3\n');
    expect((await h.req('GET', `${PODS}/a/log?container=nope`)).status).toBe(400);
    expect((await h.req('GET', `${PODS}/zz/log`)).status).toBe(404);
  });

  it('answers --previous of a container that never terminated with 400, as the kubelet does', async () => {
    await h.req('POST', PODS, pod('fresh'));
    const res = await h.req('GET', `${PODS}/fresh/log?previous=true`);
    expect(res.status).toBe(400);
    const body = await readStatus(res);
    expect(body.reason).toBe('BadRequest');
    expect(body.message).toBe('previous terminated container "main" in pod "fresh" not found');
    // Once the status reports a terminated instance, the node is asked for its log.
    const current = await readJson<Pod>(await h.req('GET', `${PODS}/fresh`));
    const terminated = {
      exitCode: 1,
      reason: 'Error',
      startedAt: '2025-01-01T00:00:00Z',
      finishedAt: '2025-01-01T00:00:01Z',
    };
    const put = await h.req('PUT', `${PODS}/fresh/status`, {
      ...current,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'main',
            image: 'hello.wasm',
            imageID: '',
            ready: true,
            restartCount: 1,
            state: { running: { startedAt: '2025-01-01T00:00:02Z' } },
            lastState: { terminated },
          },
        ],
      },
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await h.req('GET', `${PODS}/fresh/log?previous=true`)).status).toBe(200);
  });

  it('serves discovery', async () => {
    const v1 = await readJson<{ resources: Array<{ name: string }> }>(await h.req('GET', '/api/v1'));
    expect(v1.resources.map((r) => r.name)).toContain('pods/log');
    const groups = await readJson<{ groups: Array<{ name: string }> }>(await h.req('GET', '/apis'));
    expect(groups.groups[0]?.name).toBe('apps');
    expect((await h.req('GET', '/apis/apps/v1')).status).toBe(200);
  });
});

/**
 * The API app's object routes: create, get, list, update and delete round trips, merge, strategic and JSON
 * patches, Kubernetes Status errors, label and field selectors, graceful pod deletion and node ports.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, ObjectList, Pod, Service } from '../../api/index.js';
import { DEPLOYS, PODS, appHarness, deployment, pod } from './testdata/app-fixtures.js';
import { readJson, readStatus } from './testdata/harness.js';

const h = appHarness();

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

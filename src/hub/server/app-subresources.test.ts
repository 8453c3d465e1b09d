/**
 * The API app's subresources: a Deployment's status and scale, pod logs (and --previous of a container that
 * never terminated), and discovery.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, Scale } from '../../api/index.js';
import { DEPLOYS, PODS, appHarness, deployment, pod } from './testdata/app-fixtures.js';
import { readJson, readStatus } from './testdata/harness.js';

const h = appHarness();

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

  it('binds a pod for another scheduler (pods/binding): 201 and a Status, once; refuses what is not a binding', async () => {
    const p = pod('bound-by-other');
    await h.req('POST', PODS, { ...p, spec: { ...p.spec, schedulerName: 'edge-custom' } });
    const url = `${PODS}/bound-by-other/binding`;
    const binding = (node: string, name = 'bound-by-other') => ({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    expect((await h.req('GET', url)).status).toBe(405);
    const other = await h.req('POST', url, binding('pi-1', 'someone-else'));
    expect(other.status).toBe(422);
    expect((await readStatus(other)).message).toMatch(
      /metadata\.name: Invalid value: "someone-else": must be the pod's name/,
    );
    const noTarget = await h.req('POST', url, { apiVersion: 'v1', kind: 'Binding', target: {} });
    expect(noTarget.status).toBe(422);
    expect((await readStatus(noTarget)).message).toMatch(/target\.name/);
    expect((await h.req('POST', `${url}?dryRun=All`, binding('pi-1'))).status).toBe(201);
    expect((await readJson<Pod>(await h.req('GET', `${PODS}/bound-by-other`))).spec.nodeName).toBeUndefined();
    const ok = await h.req('POST', url, binding('pi-1'));
    expect(ok.status).toBe(201);
    expect(await readJson(ok)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    const bound = await readJson<Pod>(await h.req('GET', `${PODS}/bound-by-other`));
    expect(bound.spec).toMatchObject({ nodeName: 'pi-1', schedulerName: 'edge-custom' });
    const again = await h.req('POST', url, binding('pi-2'));
    expect(again.status).toBe(409);
    expect((await readStatus(again)).message).toMatch(/pod bound-by-other is already assigned to node "pi-1"/);
    expect((await h.req('POST', `${PODS}/nobody/binding`, binding('pi-1', 'nobody'))).status).toBe(404);
  });

  it("binds a pod through the namespace's bindings collection: the body names the pod", async () => {
    const p = pod('bound-by-collection');
    await h.req('POST', PODS, { ...p, spec: { ...p.spec, schedulerName: 'edge-custom' } });
    const url = '/api/v1/namespaces/default/bindings';
    const binding = (name: string | undefined, node: string, namespace?: string) => ({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { ...(name === undefined ? {} : { name }), ...(namespace === undefined ? {} : { namespace }) },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    const unnamed = await h.req('POST', url, binding(undefined, 'pi-1'));
    expect(unnamed.status).toBe(422);
    expect((await readStatus(unnamed)).message).toMatch(/metadata\.name: Required value/);
    const elsewhere = await h.req('POST', url, binding('bound-by-collection', 'pi-1', 'other'));
    expect(elsewhere.status).toBe(400);
    expect((await readStatus(elsewhere)).message).toMatch(/namespace of the provided object does not match/);
    const extra = await h.req('POST', url, { ...binding('bound-by-collection', 'pi-1'), spec: {} });
    expect(extra.status).toBe(422);
    expect((await h.req('POST', url, binding('nobody', 'pi-1'))).status).toBe(404);
    expect((await h.req('GET', url)).status).toBe(405);

    // A dry run checks everything and binds nothing (kubectl create --dry-run=server).
    const dry = await h.req('POST', `${url}?dryRun=All`, binding('bound-by-collection', 'pi-2'));
    expect(dry.status).toBe(201);
    expect((await readJson<Pod>(await h.req('GET', `${PODS}/bound-by-collection`))).spec.nodeName).toBeUndefined();
    const ok = await h.req('POST', url, binding('bound-by-collection', 'pi-1', 'default'));
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await readJson(ok)).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    const bound = await readJson<Pod>(await h.req('GET', `${PODS}/bound-by-collection`));
    expect(bound.spec.nodeName).toBe('pi-1');
    const again = await h.req('POST', url, binding('bound-by-collection', 'pi-2'));
    expect(again.status).toBe(409);
    expect((await readStatus(again)).message).toMatch(/already assigned to node "pi-1"/);
  });

  it('serves discovery', async () => {
    const v1 = await readJson<{ resources: Array<{ name: string; verbs: string[] }> }>(await h.req('GET', '/api/v1'));
    expect(v1.resources.map((r) => r.name)).toContain('pods/log');
    expect(v1.resources.find((r) => r.name === 'pods/binding')?.verbs).toEqual(['create']);
    expect(v1.resources.find((r) => r.name === 'bindings')).toMatchObject({
      kind: 'Binding',
      namespaced: true,
      verbs: ['create'],
    });
    const groups = await readJson<{ groups: Array<{ name: string }> }>(await h.req('GET', '/apis'));
    expect(groups.groups[0]?.name).toBe('apps');
    expect((await h.req('GET', '/apis/apps/v1')).status).toBe(200);
  });
});

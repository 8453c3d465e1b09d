/**
 * The OpenAPI documents through the real API app (`createTestApi`): what kubectl reads from them
 * (every kind with its group-version-kind, the PATCH operations' `fieldValidation`, `$ref`s by
 * Kubernetes' names, descriptions), the v2 protobuf, and the caching headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TYPES, apiVersionOf } from '../../../api/index.js';
import { createTestApi, type TestApi } from '../../testing/index.js';
import { decodeOpenApiV2 } from './v2-proto.js';
import { acceptRanges } from './routes.js';
import { gvPath } from './documents.js';

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: { content: Record<string, unknown> };
        'x-kubernetes-group-version-kind'?: unknown;
      }
    >
  >;
  components: {
    schemas: Record<string, Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> }>;
  };
};

type V2Schema = {
  properties?: { additionalProperties: { name: string; value: V2Schema }[] };
  vendorExtension?: { name: string; value: { yaml: string } }[];
};
type V2Json = { properties: Record<string, Record<string, unknown>> };

let t: TestApi;
const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  Promise.resolve(t.app.request(path, { headers: { authorization: `Bearer ${t.auth.adminToken}`, ...headers } }));
const index = async (): Promise<Record<string, { serverRelativeURL: string }>> =>
  ((await (await get('/openapi/v3')).json()) as { paths: Record<string, { serverRelativeURL: string }> }).paths;
const v3 = async (gv: string): Promise<Doc> => (await (await get(`/openapi/v3/${gv}`)).json()) as Doc;

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t.close());

describe('OpenAPI v3', () => {
  it('lists every group/version of RESOURCE_TYPES with a hashed URL', async () => {
    const paths = await index();
    for (const type of RESOURCE_TYPES) {
      const url = paths[gvPath(type)]?.serverRelativeURL;
      expect(url, apiVersionOf(type)).toMatch(new RegExp(`^/openapi/v3/${gvPath(type)}\\?hash=[0-9A-F]{128}$`));
    }
  });

  it('describes the answered kinds too: the authorization.k8s.io reviews (create) and metrics.k8s.io (read)', async () => {
    const paths = await index();
    expect(paths['apis/authorization.k8s.io/v1']?.serverRelativeURL).toMatch(/\?hash=/);
    expect(paths['apis/metrics.k8s.io/v1beta1']?.serverRelativeURL).toMatch(/\?hash=/);
    const authz = await v3('apis/authorization.k8s.io/v1');
    const ssar = authz.components.schemas['io.k8s.api.authorization.v1.SelfSubjectAccessReview'];
    expect(ssar?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', version: 'v1' },
    ]);
    expect(Object.keys(ssar?.properties ?? {}).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(authz.components.schemas['io.k8s.api.authorization.v1.ResourceAttributes']?.properties?.verb).toBeDefined();
    const review = authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'];
    expect(Object.keys(review ?? {}).filter((k) => k !== 'parameters')).toEqual(['post']);
    expect(
      authz.paths['/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews']?.post,
    ).toBeDefined();
    const metrics = await v3('apis/metrics.k8s.io/v1beta1');
    expect(
      metrics.components.schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics']?.[
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual([{ group: 'metrics.k8s.io', kind: 'PodMetrics', version: 'v1beta1' }]);
    expect(Object.keys(metrics.paths).sort()).toEqual([
      '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods',
      '/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}',
      '/apis/metrics.k8s.io/v1beta1/nodes',
      '/apis/metrics.k8s.io/v1beta1/nodes/{name}',
      '/apis/metrics.k8s.io/v1beta1/pods',
    ]);
    for (const item of Object.values(metrics.paths))
      expect(Object.keys(item).filter((k) => k !== 'parameters')).toEqual(['get']);
  });

  it('describes every kind: a definition with its group-version-kind, paths, and fieldValidation on every PATCH', async () => {
    for (const type of RESOURCE_TYPES) {
      const doc = await v3(gvPath(type));
      const gvk = { group: type.group, kind: type.kind, version: type.version };
      const defs = Object.entries(doc.components.schemas).filter(([, s]) =>
        (s['x-kubernetes-group-version-kind'] as unknown[] | undefined)?.some(
          (g) => JSON.stringify(g) === JSON.stringify(gvk),
        ),
      );
      expect(
        defs.map(([name]) => name.split('.').pop()),
        type.kind,
      ).toEqual([type.kind]);
      const collection = type.namespaced
        ? `/${gvPath(type)}/namespaces/{namespace}/${type.plural}`
        : `/${gvPath(type)}/${type.plural}`;
      expect(doc.paths[collection]?.get?.['x-kubernetes-group-version-kind'], collection).toEqual(gvk);
      const patches = Object.values(doc.paths).flatMap((p) => (p.patch ? [p.patch] : []));
      for (const op of patches.filter(
        (o) => JSON.stringify(o['x-kubernetes-group-version-kind']) === JSON.stringify(gvk),
      )) {
        expect(op.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query')).toBe(true);
        // Listed for Kubernetes' kinds, so kubectl computes its patches from this document's merge keys.
        const types = Object.keys(op.requestBody?.content ?? {});
        expect(types).toContain('application/apply-patch+yaml');
        // Edgeplane's own kinds and Flagger's Canary are custom resources to kubectl: no strategic merge patch.
        if (type.group.endsWith('.edgeplane.io') || type.group === 'flagger.app')
          expect(types).not.toContain('application/strategic-merge-patch+json');
        else expect(types).toContain('application/strategic-merge-patch+json');
      }
    }
  });

  it('names definitions as Kubernetes does and keeps every $ref resolvable', async () => {
    const doc = await v3('apis/apps/v1');
    const schemas = doc.components.schemas;
    const spec = schemas['io.k8s.api.apps.v1.DeploymentSpec'];
    expect(JSON.stringify(spec?.properties?.strategy)).toContain(
      '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy',
    );
    expect(JSON.stringify(spec?.properties?.template)).toContain(
      '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec',
    );
    expect(spec?.required).toEqual(expect.arrayContaining(['selector', 'template']));
    const rolling = (
      schemas['io.k8s.api.apps.v1.DeploymentStrategy']?.properties?.rollingUpdate as {
        properties: Record<string, unknown>;
      }
    ).properties;
    expect(JSON.stringify(rolling.maxSurge)).toContain('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g) ?? [];
    for (const ref of new Set(refs)) expect(schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
  });

  it('puts the patch extensions of src/api/patch-meta.ts where Kubernetes puts them', async () => {
    const core = (await v3('api/v1')).components.schemas;
    const apps = (await v3('apis/apps/v1')).components.schemas;
    expect(core['io.k8s.api.core.v1.PodSpec']?.properties?.containers).toMatchObject({
      type: 'array',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(core['io.k8s.api.core.v1.PodSpec']?.properties?.volumes).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    });
    const container = core['io.k8s.api.core.v1.Container']?.properties;
    expect(container?.ports).toMatchObject({
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(container?.env).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name' });
    expect(container?.volumeMounts).toMatchObject({ 'x-kubernetes-patch-merge-key': 'mountPath' });
    // A struct field keeps its description and $ref (allOf) beside the extension.
    const strategy = apps['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.strategy;
    expect(strategy?.['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(JSON.stringify(strategy?.allOf)).toContain('io.k8s.api.apps.v1.DeploymentStrategy');
    expect(apps['io.k8s.api.apps.v1.DeploymentStatus']?.properties?.conditions).toMatchObject({
      'x-kubernetes-patch-merge-key': 'type',
      'x-kubernetes-list-type': 'map',
    });
    const meta = apps['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']?.properties;
    expect(meta?.finalizers).toMatchObject({ 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' });
    expect(meta?.ownerReferences).toMatchObject({ 'x-kubernetes-patch-merge-key': 'uid' });
    expect(meta?.managedFields).toMatchObject({ 'x-kubernetes-list-type': 'atomic' });
    expect(meta?.managedFields).not.toHaveProperty('x-kubernetes-patch-strategy');
    // LabelSelector is an atomic struct: said on its definition, as Kubernetes says it.
    expect(apps['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']?.['x-kubernetes-map-type']).toBe('atomic');
    expect(core['io.k8s.api.core.v1.ServiceSpec']?.properties?.ports).toMatchObject({
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-patch-merge-key': 'port',
    });
    // ServiceSpec.selector is an atomic map: said on the property.
    expect(core['io.k8s.api.core.v1.ServiceSpec']?.properties?.selector).toMatchObject({
      'x-kubernetes-map-type': 'atomic',
    });
  });

  it('carries the zod schemas’ descriptions', async () => {
    const doc = await v3('apis/apps/v1');
    const strategy = doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.strategy;
    expect(strategy?.description).toMatch(/replace existing pods/i);
    expect(doc.components.schemas['io.k8s.api.apps.v1.Deployment']?.description).toMatch(/replicas/);
    const core = await v3('api/v1');
    const container = core.components.schemas['io.k8s.api.core.v1.Container'];
    expect(container?.properties?.image?.description).toMatch(/image/i);
  });

  it('serves a current hash as immutable, redirects a stale one, and answers If-None-Match with 304', async () => {
    const url = (await index())['apis/apps/v1']!.serverRelativeURL;
    const first = await get(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, immutable');
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${url.split('hash=')[1]}"`);
    const again = await get(url, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    const stale = await get('/openapi/v3/apis/apps/v1?hash=0123');
    expect(stale.status).toBe(301);
    expect(stale.headers.get('location')).toBe(url);
    const idx = await get('/openapi/v3');
    expect((await get('/openapi/v3', { 'if-none-match': idx.headers.get('etag')! })).status).toBe(304);
    expect((await get('/openapi/v3/apis/nothing/v1')).status).toBe(404);
  });

  it('needs a credential', async () => {
    expect((await t.app.request('/openapi/v3')).status).toBe(401);
  });
});

describe('OpenAPI v2', () => {
  it('answers kubectl’s protobuf Accept with gnostic’s Document, the same content as the JSON', async () => {
    const pb = await get('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(pb.status).toBe(200);
    expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const doc = decodeOpenApiV2(new Uint8Array(await pb.arrayBuffer()));
    const json = (await (await get('/openapi/v2', { accept: 'application/json' })).json()) as {
      definitions: Record<string, unknown>;
      paths: Record<string, unknown>;
    };
    const defs = (doc.definitions as { additionalProperties: { name: string }[] }).additionalProperties.map(
      (d) => d.name,
    );
    expect(defs.sort()).toEqual(Object.keys(json.definitions).sort());
    const paths = (
      doc.paths as {
        path: { name: string; value: { patch?: { vendorExtension: { name: string; value: { yaml: string } }[] } } }[];
      }
    ).path;
    expect(paths.map((p) => p.name).sort()).toEqual(Object.keys(json.paths).sort());
    const patch = paths.find((p) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')?.value.patch;
    const gvk = patch?.vendorExtension.find((e) => e.name === 'x-kubernetes-group-version-kind')?.value.yaml;
    expect(JSON.parse(gvk ?? 'null')).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
    // The patch extensions travel as vendor extensions beside the property's $ref or items.
    const named = (doc.definitions as { additionalProperties: { name: string; value: V2Schema }[] })
      .additionalProperties;
    const podSpec = named.find((d) => d.name === 'io.k8s.api.core.v1.PodSpec')?.value;
    const containers = podSpec?.properties?.additionalProperties.find((p) => p.name === 'containers')?.value;
    const ext = Object.fromEntries(
      (containers?.vendorExtension ?? []).map((e) => [e.name, JSON.parse(e.value.yaml) as unknown]),
    );
    expect(ext).toEqual({
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    const deploymentSpec = (json.definitions['io.k8s.api.apps.v1.DeploymentSpec'] as V2Json).properties.strategy;
    expect(deploymentSpec).toMatchObject({
      $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy',
      'x-kubernetes-patch-strategy': 'retainKeys',
    });
    for (const type of RESOURCE_TYPES)
      expect(
        defs.some((d) => d.endsWith(`.${type.kind}`)),
        type.kind,
      ).toBe(true);
  });

  it('refuses a media type it does not serve with 406', async () => {
    expect((await get('/openapi/v2', { accept: 'text/html' })).status).toBe(406);
    expect((await get('/openapi/v2')).headers.get('content-type')).toBe('application/json');
  });
});

describe('acceptRanges', () => {
  it('orders by q, then by position, and drops q=0', () => {
    expect(acceptRanges('application/json;q=0.5, application/x;q=0.9, text/a, text/b;q=0')).toEqual([
      'text/a',
      'application/x',
      'application/json',
    ]);
    expect(acceptRanges(undefined)).toEqual(['*/*']);
  });
});

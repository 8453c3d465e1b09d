/**
 * The `authorization.k8s.io/v1` reviews and `authentication.k8s.io/v1` SelfSubjectReview through the real API app (`createTestApi`: store, tokens,
 * the built-in RBAC policy over informers), in JSON and in Kubernetes protobuf.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../testing/index.js';
import { PROTOBUF_MEDIA_TYPE, decodeObject, encodeObject } from './protobuf/index.js';

const AUTHZ = '/apis/authorization.k8s.io/v1';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const V1 = 'authorization.k8s.io/v1';
const users = [
  { name: 'viewer', token: 'viewer-token-0123456789', groups: ['viewers'] },
  { name: 'nsadmin', token: 'nsadmin-token-0123456789', groups: [] },
  { name: 'alice', token: 'alice-token-0123456789', groups: [] },
];

let t: TestApi;
const tokenOf = (as: string): string =>
  as === 'admin' ? t.auth.adminToken : (users.find((u) => u.name === as)?.token ?? '');

async function post(as: string, path: string, body: unknown, protobuf = false) {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokenOf(as)}`,
      'content-type': protobuf ? PROTOBUF_MEDIA_TYPE : 'application/json',
      accept: protobuf ? `${PROTOBUF_MEDIA_TYPE}, application/json` : 'application/json',
    },
    body: protobuf ? encodeObject(body as { apiVersion: string; kind: string }) : JSON.stringify(body),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const json = type.startsWith(PROTOBUF_MEDIA_TYPE)
    ? decodeObject(bytes, [(body as { kind: string }).kind])
    : (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>);
  return { status: res.status, type, json: json as { status?: Record<string, unknown>; message?: string } };
}

const ssar = (ra: Record<string, string>) => ({
  apiVersion: V1,
  kind: 'SelfSubjectAccessReview',
  spec: { resourceAttributes: ra },
});
const sar = (kind: string, user: string, groups: string[], ra: Record<string, string>) => ({
  apiVersion: V1,
  kind,
  spec: { user, groups, extra: { scopes: ['a', 'b'] }, resourceAttributes: ra },
});

beforeAll(async () => {
  t = await createTestApi({ users });
  const ok = async (path: string, body: unknown) => expect((await post('admin', path, body)).status).toBe(201);
  await ok('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  await ok(`${RBAC}/clusterrolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'viewers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', name: 'viewers' }],
  });
  await ok(`${RBAC}/namespaces/team/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'nsadmin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
    subjects: [{ kind: 'User', name: 'nsadmin' }],
  });
});
afterAll(() => t.close());

describe('SelfSubjectAccessReview in protobuf (as kubectl sends it)', () => {
  it('answers in protobuf, allowed or not', async () => {
    const yes = await post(
      'viewer',
      `${AUTHZ}/selfsubjectaccessreviews`,
      ssar({ verb: 'get', resource: 'pods', namespace: 'default' }),
      true,
    );
    expect(yes.status).toBe(201);
    expect(yes.type).toBe(PROTOBUF_MEDIA_TYPE);
    expect(yes.json.status).toMatchObject({ allowed: true });
    const no = await post(
      'viewer',
      `${AUTHZ}/selfsubjectaccessreviews`,
      ssar({ verb: 'get', resource: 'secrets', namespace: 'default' }),
      true,
    );
    expect(no.json.status?.allowed ?? false).toBe(false);
  });

  it('refuses a body without the k8s magic, naming it', async () => {
    const res = await t.app.request(`${AUTHZ}/selfsubjectaccessreviews`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf('alice')}`, 'content-type': PROTOBUF_MEDIA_TYPE },
      body: new Uint8Array([1, 2, 3, 4, 5]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/magic/);
  });

  it('refuses a protobuf body of another kind with 415', async () => {
    const res = await post(
      'alice',
      `${AUTHZ}/selfsubjectaccessreviews`,
      sar('SubjectAccessReview', 'x', [], { verb: 'get' }),
      true,
    );
    expect(res.status).toBe(415);
  });
});

describe('SelfSubjectRulesReview', () => {
  it('lists the caller’s rules in a namespace, in JSON and protobuf', async () => {
    for (const protobuf of [false, true]) {
      const body = { apiVersion: V1, kind: 'SelfSubjectRulesReview', spec: { namespace: 'team' } };
      const res = await post('nsadmin', `${AUTHZ}/selfsubjectrulesreviews`, body, protobuf);
      expect(res.status).toBe(201);
      const status = res.json.status as { resourceRules: { resources?: string[] }[]; nonResourceRules: unknown[] };
      expect(status.resourceRules.some((r) => r.resources?.includes('rolebindings'))).toBe(true);
      expect(status.resourceRules.some((r) => r.resources?.includes('selfsubjectaccessreviews'))).toBe(true);
      expect(status.nonResourceRules.length).toBeGreaterThan(0);
    }
  });

  it('lists only cluster-wide grants for another namespace', async () => {
    const body = { apiVersion: V1, kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } };
    const res = await post('nsadmin', `${AUTHZ}/selfsubjectrulesreviews`, body);
    const status = res.json.status as { resourceRules: { resources?: string[] }[] };
    expect(status.resourceRules.some((r) => r.resources?.includes('rolebindings'))).toBe(false);
  });
});

describe('SubjectAccessReview and LocalSubjectAccessReview', () => {
  it('answers for the named user and groups, to a caller allowed to ask', async () => {
    for (const protobuf of [false, true]) {
      const path = `${AUTHZ}/subjectaccessreviews`;
      const yes = await post(
        'admin',
        path,
        sar('SubjectAccessReview', 'bob', ['viewers'], { verb: 'list', resource: 'pods' }),
        protobuf,
      );
      expect(yes.status).toBe(201);
      expect(yes.json.status).toMatchObject({ allowed: true });
      expect((yes.json as { spec?: { extra?: unknown } }).spec?.extra).toEqual({ scopes: ['a', 'b'] });
      const no = await post(
        'admin',
        path,
        sar('SubjectAccessReview', 'bob', [], { verb: 'list', resource: 'pods' }),
        protobuf,
      );
      expect(no.json.status?.allowed ?? false).toBe(false);
    }
  });

  it('is refused to a user who may not create subjectaccessreviews', async () => {
    const res = await post(
      'viewer',
      `${AUTHZ}/subjectaccessreviews`,
      sar('SubjectAccessReview', 'bob', [], { verb: 'get' }),
    );
    expect(res.status).toBe(403);
    expect(res.json.message).toMatch(/cannot create resource "subjectaccessreviews"/);
  });

  it('lets a namespace admin ask within its namespace only, about that namespace only', async () => {
    const path = `${AUTHZ}/namespaces/team/localsubjectaccessreviews`;
    const ask = sar('LocalSubjectAccessReview', 'nsadmin', [], {
      verb: 'create',
      resource: 'rolebindings',
      group: 'rbac.authorization.k8s.io',
    });
    const yes = await post('nsadmin', path, ask, true);
    expect(yes.status).toBe(201);
    expect(yes.json.status).toMatchObject({ allowed: true });
    const elsewhere = await post('nsadmin', `${AUTHZ}/namespaces/default/localsubjectaccessreviews`, ask);
    expect(elsewhere.status).toBe(403);
    const mismatch = sar('LocalSubjectAccessReview', 'nsadmin', [], {
      verb: 'get',
      resource: 'pods',
      namespace: 'default',
    });
    const bad = await post('nsadmin', path, mismatch);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/must match the namespace/);
  });

  it('answers a SelfSubjectReview (kubectl auth whoami) with the caller, in JSON and protobuf, impersonated too', async () => {
    const whoami = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const path = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
    for (const protobuf of [false, true]) {
      const r = await post('viewer', path, whoami, protobuf);
      expect(r.status).toBe(201);
      expect(r.json.status).toEqual({ userInfo: { username: 'viewer', groups: ['viewers', 'system:authenticated'] } });
    }
    const res = await t.app.request(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.auth.adminToken}`,
        'content-type': 'application/json',
        'impersonate-user': 'ann',
        'impersonate-group': 'ops',
        'impersonate-uid': 'u-1',
        'impersonate-extra-scopes': 'read',
      },
      body: JSON.stringify(whoami),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { status: unknown }).status).toEqual({
      userInfo: { username: 'ann', uid: 'u-1', groups: ['ops', 'system:authenticated'], extra: { scopes: ['read'] } },
    });
  });

  it('needs a user or a group', async () => {
    const res = await post('admin', `${AUTHZ}/subjectaccessreviews`, {
      apiVersion: V1,
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get' } },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.json)).toMatch(/at least one of user or group/);
  });
});

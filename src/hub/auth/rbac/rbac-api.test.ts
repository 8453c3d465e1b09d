/**
 * RBAC through the real API app (`createTestApi`: registry, store, tokens, the built-in policy over
 * informers) with real users: view, edit and a namespace admin, as Kubernetes means them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ClusterRole,
  ClusterRoleBinding,
  ObjectList,
  RoleBinding,
  SelfSubjectAccessReview,
  Status,
} from '../../../api/index.js';
import { createTestApi, type TestApi } from '../../testing/index.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const users = [
  { name: 'viewer', token: 'viewer-token-0123456789', groups: ['viewers'] },
  { name: 'editor', token: 'editor-token-0123456789', groups: [] },
  { name: 'nsadmin', token: 'nsadmin-token-0123456789', groups: [] },
  { name: 'alice', token: 'alice-token-0123456789', groups: [] },
  { name: 'legacy', token: 'legacy-token-0123456789', role: 'read-only' as const },
];
const token = (name: string): string => users.find((u) => u.name === name)?.token ?? '';

let t: TestApi;
/**
 * Sends a request as user `as` (or `admin`); its JSON answer is read as the `T` the test expects (a
 * failure's Status unless told). A watch's body is not read: its `json` is undefined.
 */
async function call<T = Status>(
  as: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T; res: Response }> {
  const res = await t.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${as === 'admin' ? t.auth.adminToken : token(as)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const watch = path.includes('watch=true');
  if (watch) await res.body?.cancel();
  return { status: res.status, json: (watch ? undefined : await res.json()) as T, res };
}

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'hello.wasm' }] } },
  },
});
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
});
const binding = (name: string, role: string, user: string, roleKind = 'ClusterRole') => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
  subjects: [{ kind: 'User', name: user }],
});
const DEPLOYMENTS = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;
const PODS = '/api/v1/namespaces/default/pods';

beforeAll(async () => {
  t = await createTestApi({ users });
  expect((await call('admin', 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).status).toBe(201);
  expect((await call('admin', 'POST', PODS, pod('a'))).status).toBe(201);
  const grants = [
    [
      `${RBAC}/clusterrolebindings`,
      {
        metadata: { name: 'viewers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', name: 'viewers' }],
      },
    ],
    [`${RBAC}/namespaces/default/rolebindings`, binding('editor', 'edit', 'editor')],
    [`${RBAC}/namespaces/team/rolebindings`, binding('nsadmin', 'admin', 'nsadmin')],
  ] as const;
  for (const [path, body] of grants) expect((await call('admin', 'POST', path, body)).status).toBe(201);
});
afterAll(() => t.close());

describe('built-in policy', () => {
  it('creates cluster-admin, admin, edit, view and the discovery roles, marked for auto-update', async () => {
    const { json } = await call<ObjectList<ClusterRole>>('admin', 'GET', `${RBAC}/clusterroles`);
    const names = json.items.map((r) => r.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining(['cluster-admin', 'admin', 'edit', 'view', 'system:discovery', 'system:basic-user']),
    );
    for (const r of json.items)
      expect(r.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    const crb = await call<ClusterRoleBinding>('admin', 'GET', `${RBAC}/clusterrolebindings/cluster-admin`);
    expect(crb.json.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' },
    ]);
  });

  it('lets every authenticated user discover the API and review its own access, nothing more', async () => {
    expect((await call('alice', 'GET', '/apis')).status).toBe(200);
    expect((await call('alice', 'GET', '/api/v1')).status).toBe(200);
    expect((await call('alice', 'GET', PODS)).status).toBe(403);
  });
});

describe('a view user', () => {
  it('can get, list and watch', async () => {
    expect((await call('viewer', 'GET', `${PODS}/a`)).status).toBe(200);
    expect((await call('viewer', 'GET', PODS)).status).toBe(200);
    expect((await call('viewer', 'GET', `${PODS}?watch=true`)).status).toBe(200);
    expect((await call('viewer', 'GET', DEPLOYMENTS('team'))).status).toBe(200);
  });

  it('cannot create, patch or delete, and the 403 says so in Kubernetes words', async () => {
    const created = await call('viewer', 'POST', PODS, pod('b'));
    expect(created.status).toBe(403);
    expect(created.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(created.json.message).toBe(
      'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "default"',
    );
    const patched = await t.app.request(`${PODS}/a`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token('viewer')}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { x: 'y' } } }),
    });
    expect(patched.status).toBe(403);
    const deleted = await call('viewer', 'DELETE', `${PODS}/a`);
    expect(deleted.json.message).toBe(
      'pods "a" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('cannot exec into pods nor read secrets', async () => {
    const exec = await call('viewer', 'POST', `${PODS}/a/exec?command=id`);
    expect(exec.json.message).toBe(
      'pods "a" is forbidden: User "viewer" cannot create resource "pods/exec" in API group "" in the namespace "default"',
    );
    const secret = await call('viewer', 'GET', '/api/v1/namespaces/default/secrets/db');
    expect(secret.status).toBe(403);
    expect(secret.json.message).toBe(
      'secrets "db" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in the namespace "default"',
    );
    // Issue 15: no list or watch of Secrets either (values come with them), while ConfigMaps stay readable.
    expect((await call('viewer', 'GET', '/api/v1/namespaces/default/secrets')).status).toBe(403);
    expect((await call('viewer', 'GET', '/api/v1/secrets?watch=true')).status).toBe(403);
    expect((await call('viewer', 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
  });

  it('cannot read roles or nodes (cluster-scoped, not in view)', async () => {
    const nodes = await call('viewer', 'GET', '/api/v1/nodes');
    expect(nodes.json.message).toBe(
      'nodes is forbidden: User "viewer" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect((await call('viewer', 'GET', `${RBAC}/namespaces/default/roles`)).status).toBe(403);
  });

  it('is what tokens.json role read-only means', async () => {
    expect((await call('legacy', 'GET', PODS)).status).toBe(200);
    expect((await call('legacy', 'POST', PODS, pod('c'))).status).toBe(403);
  });
});

describe('an edit user', () => {
  it('can create deployments in its namespace, not elsewhere', async () => {
    expect((await call('editor', 'POST', DEPLOYMENTS('default'), deployment('web'))).status).toBe(201);
    const other = await call('editor', 'POST', DEPLOYMENTS('team'), deployment('web'));
    expect(other.json.message).toBe(
      'deployments.apps is forbidden: User "editor" cannot create resource "deployments" in API group "apps" in the namespace "team"',
    );
  });

  it('cannot grant roles: no Role, no RoleBinding', async () => {
    const rb = await call('editor', 'POST', `${RBAC}/namespaces/default/rolebindings`, binding('x', 'edit', 'alice'));
    expect(rb.status).toBe(403);
    expect(rb.json.message).toBe(
      'rolebindings.rbac.authorization.k8s.io is forbidden: User "editor" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "default"',
    );
    const role = await call('editor', 'POST', `${RBAC}/namespaces/default/roles`, {
      metadata: { name: 'r' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
    });
    expect(role.status).toBe(403);
  });
});

describe('a namespace admin', () => {
  it('can bind edit in its namespace, and the grant works at once', async () => {
    expect((await call('alice', 'POST', DEPLOYMENTS('team'), deployment('api'))).status).toBe(403);
    const rb = await call<RoleBinding>(
      'nsadmin',
      'POST',
      `${RBAC}/namespaces/team/rolebindings`,
      binding('alice-edit', 'edit', 'alice'),
    );
    expect(rb.status).toBe(201);
    expect(rb.json.subjects?.[0]?.apiGroup).toBe('rbac.authorization.k8s.io');
    expect((await call('alice', 'POST', DEPLOYMENTS('team'), deployment('api'))).status).toBe(201);
    // Level-triggered: the grant goes with its binding.
    expect((await call('nsadmin', 'DELETE', `${RBAC}/namespaces/team/rolebindings/alice-edit`)).status).toBe(200);
    expect((await call('alice', 'DELETE', `${DEPLOYMENTS('team')}/api`)).status).toBe(403);
  });

  it('cannot bind edit in another namespace', async () => {
    const rb = await call('nsadmin', 'POST', `${RBAC}/namespaces/default/rolebindings`, binding('a', 'edit', 'alice'));
    expect(rb.status).toBe(403);
  });

  it('cannot grant more than it holds: cluster-admin, or a Role with powers it lacks', async () => {
    const up = await call(
      'nsadmin',
      'POST',
      `${RBAC}/namespaces/team/rolebindings`,
      binding('up', 'cluster-admin', 'alice'),
    );
    expect(up.status).toBe(403);
    expect(up.json.message).toMatch(
      /^rolebindings\.rbac\.authorization\.k8s\.io "up" is forbidden: user "nsadmin" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/,
    );
    const nodesRole = {
      metadata: { name: 'nodes' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }],
    };
    const role = await call('nsadmin', 'POST', `${RBAC}/namespaces/team/roles`, nodesRole);
    expect(role.status).toBe(403);
    expect(role.json.message).toContain('{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
    // A Role within its own powers is fine, and so is binding it.
    const podReader = {
      metadata: { name: 'pod-reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    };
    expect((await call('nsadmin', 'POST', `${RBAC}/namespaces/team/roles`, podReader)).status).toBe(201);
    const rb = binding('alice-reads', 'pod-reader', 'alice', 'Role');
    expect((await call('nsadmin', 'POST', `${RBAC}/namespaces/team/rolebindings`, rb)).status).toBe(201);
    expect((await call('alice', 'GET', '/api/v1/namespaces/team/pods')).status).toBe(200);
  });

  it('may grant what it lacks only with the bind or escalate verb', async () => {
    const up = binding('alice-admin', 'cluster-admin', 'alice');
    expect((await call('nsadmin', 'POST', `${RBAC}/namespaces/team/rolebindings`, up)).status).toBe(403);
    // cluster-admin gives nsadmin `bind` on the ClusterRole cluster-admin, and `escalate` on roles.
    const rules = [
      {
        verbs: ['bind'],
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        resourceNames: ['cluster-admin'],
      },
      { verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] },
    ];
    expect((await call('admin', 'POST', `${RBAC}/clusterroles`, { metadata: { name: 'granter' }, rules })).status).toBe(
      201,
    );
    const grant = {
      metadata: { name: 'nsadmin-granter' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'granter' },
      subjects: [{ kind: 'User', name: 'nsadmin' }],
    };
    expect((await call('admin', 'POST', `${RBAC}/clusterrolebindings`, grant)).status).toBe(201);
    expect((await call('nsadmin', 'POST', `${RBAC}/namespaces/team/rolebindings`, up)).status).toBe(201);
    const nodesRole = {
      metadata: { name: 'nodes' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }],
    };
    expect((await call('nsadmin', 'POST', `${RBAC}/namespaces/team/roles`, nodesRole)).status).toBe(201);
    // bind names one role: binding another whose powers it lacks is still refused.
    const rb = binding('alice-nodes', 'nodes', 'alice', 'Role');
    const refused = await call('nsadmin', 'POST', `${RBAC}/namespaces/team/rolebindings`, rb);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toContain('is attempting to grant RBAC permissions not currently held');
  });
});

describe('validation', () => {
  it('refuses a ClusterRoleBinding to a Role, URLs in a Role, and a rule without resources', async () => {
    const crb = await call('admin', 'POST', `${RBAC}/clusterrolebindings`, {
      metadata: { name: 'bad' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
    });
    expect(crb.status).toBe(422);
    expect(crb.json.details?.causes?.[0]?.field).toBe('roleRef.kind');
    const role = await call('admin', 'POST', `${RBAC}/namespaces/default/roles`, {
      metadata: { name: 'bad' },
      rules: [
        { verbs: ['get'], nonResourceURLs: ['/healthz'] },
        { verbs: ['get'], apiGroups: [''] },
      ],
    });
    expect(role.status).toBe(422);
    expect(role.json.details?.causes?.map((c) => c.field)).toEqual(['rules[0].nonResourceURLs', 'rules[1].resources']);
  });

  it('refuses subject kinds other than User, Group and ServiceAccount, and a roleRef kind other than Role or ClusterRole', async () => {
    const b = binding('bad', 'edit', 'alice');
    const badSubject = { ...b, subjects: [{ kind: 'Robot', name: 'r' }] };
    expect((await call('admin', 'POST', `${RBAC}/namespaces/default/rolebindings`, badSubject)).status).toBe(422);
    const badRef = { ...b, roleRef: { ...b.roleRef, kind: 'Deployment' } };
    expect((await call('admin', 'POST', `${RBAC}/namespaces/default/rolebindings`, badRef)).status).toBe(422);
  });

  it('keeps roleRef immutable', async () => {
    const path = `${RBAC}/namespaces/default/rolebindings/editor`;
    const cur = (await call<RoleBinding>('admin', 'GET', path)).json;
    const res = await call('admin', 'PUT', path, { ...cur, roleRef: { ...cur.roleRef, name: 'admin' } });
    expect(res.status).toBe(422);
    expect(res.json.details?.causes?.[0]).toMatchObject({ field: 'roleRef', message: 'cannot change roleRef' });
    // The subjects may change.
    expect((await call('admin', 'PUT', path, { ...cur, subjects: [...(cur.subjects ?? [])] })).status).toBe(200);
  });
});

describe('SelfSubjectAccessReview', () => {
  const review = (resourceAttributes: Record<string, string>) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes },
  });

  it('answers allowed or not for the caller, and is in discovery', async () => {
    const yes = await call<SelfSubjectAccessReview>(
      'viewer',
      'POST',
      SSAR,
      review({ verb: 'list', resource: 'pods', namespace: 'default' }),
    );
    expect(yes.status).toBe(201);
    expect(yes.json.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "viewers" of ClusterRole "view" to User "viewer"',
    });
    const no = await call<SelfSubjectAccessReview>(
      'viewer',
      'POST',
      SSAR,
      review({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default' }),
    );
    expect(no.json.status).toEqual({ allowed: false });
    const url = await call<SelfSubjectAccessReview>('alice', 'POST', SSAR, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { nonResourceAttributes: { verb: 'get', path: '/apis' } },
    });
    expect(url.json.status?.allowed).toBe(true);
    const { groups } = (await call<{ groups: Array<{ name: string }> }>('alice', 'GET', '/apis')).json;
    expect(groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['authorization.k8s.io', 'rbac.authorization.k8s.io']),
    );
    const { resources } = (
      await call<{ resources: Array<{ name: string }> }>('alice', 'GET', '/apis/authorization.k8s.io/v1')
    ).json;
    expect(resources.map((r) => r.name)).toEqual([
      'selfsubjectaccessreviews',
      'selfsubjectrulesreviews',
      'subjectaccessreviews',
      'localsubjectaccessreviews',
    ]);
  });

  it('refuses a review asking about neither or both', async () => {
    const bad = await call('alice', 'POST', SSAR, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {},
    });
    expect(bad.status).toBe(422);
  });
});

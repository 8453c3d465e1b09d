/**
 * RBAC through the real API app with real users (`testing/rbac-api.ts`): the built-in policy (its roles,
 * and what every authenticated user may do), a view user (reads, but no writes, exec or secrets; what
 * tokens.json's read-only means) and an edit user (writes in its namespace, but grants nothing).
 * Grants by a namespace admin: `rbac-api-grants.test.ts`; validation: `rbac-api-validation.test.ts`;
 * SelfSubjectAccessReview: `rbac-api-review.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterRole, ClusterRoleBinding, ObjectList } from '../../../api/index.js';
import { RBAC, DEPLOYMENTS, PODS, binding, deployment, pod, token, rbacApi } from './testing/rbac-api.js';

const rbac = rbacApi();
const { call } = rbac;

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
    const patched = await rbac.t.app.request(`${PODS}/a`, {
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

/**
 * RBAC grants through the real API app (`testing/rbac-api.ts`): a namespace admin binds edit in its own
 * namespace (and the grant works at once, and goes with its binding), not elsewhere; it cannot grant more
 * than it holds, unless it has the bind or escalate verb. The built-in roles: `rbac-api.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { RoleBinding } from '../../../api/index.js';
import { RBAC, DEPLOYMENTS, binding, deployment, rbacApi } from './testing/rbac-api.js';

const { call } = rbacApi();

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

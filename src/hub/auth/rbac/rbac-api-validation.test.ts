/**
 * The validation of RBAC objects through the real API app (`testing/rbac-api.ts`): a ClusterRoleBinding
 * to a Role, URLs in a Role, a rule without resources, unknown subject and roleRef kinds, and roleRef
 * immutable, each refused with 422. The built-in roles: `rbac-api.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { RoleBinding } from '../../../api/index.js';
import { RBAC, binding, rbacApi } from './testing/rbac-api.js';

const { call } = rbacApi();

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

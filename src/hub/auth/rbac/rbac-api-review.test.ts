/**
 * SelfSubjectAccessReview through the real API app (`testing/rbac-api.ts`): allowed or not for the caller,
 * with the reason RBAC gives, for resources and non-resource URLs, in discovery, and refused when it asks
 * about neither or both. The built-in roles: `rbac-api.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { SelfSubjectAccessReview } from '../../../api/index.js';
import { SSAR, rbacApi } from './testing/rbac-api.js';

const { call } = rbacApi();

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

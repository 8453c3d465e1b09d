import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../api/index.js';
import type { Authorizer, RequestAttributes } from './authorize.js';
import { impersonate, type HeaderValues } from './impersonation.js';
import { userPrincipal, type Principal } from './principal.js';
import { ruleAllows } from './rbac/index.js';

/** An authorizer from rules per user name, with RBAC's rule semantics; it records what it was asked. */
function rulesAuthorizer(rules: Record<string, PolicyRule[]>): Authorizer & { asked: RequestAttributes[] } {
  const asked: RequestAttributes[] = [];
  const authorize = (who: Principal, what: RequestAttributes) => {
    asked.push(what);
    const name = who.kind === 'user' ? who.name : '';
    return (rules[name] ?? []).some((r) => ruleAllows(r, what))
      ? { allowed: true as const }
      : { allowed: false as const, reason: '' };
  };
  return Object.assign(authorize, { asked });
}

const headers = (h: Record<string, string[]>): HeaderValues => new Map(Object.entries(h));
const bob = userPrincipal('bob', ['devs']);

describe('impersonate (kube-apiserver WithImpersonation)', () => {
  it('returns the caller itself when no Impersonate-* header is sent, asking the authorizer nothing', () => {
    const authorize = rulesAuthorizer({});
    expect(impersonate(bob, headers({ 'user-agent': ['kubectl'] }), authorize)).toBe(bob);
    expect(authorize.asked).toEqual([]);
  });

  it('acts as the user, in system:authenticated, once `impersonate users NAME` is allowed', () => {
    const authorize = rulesAuthorizer({
      bob: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users'], resourceNames: ['ann'] }],
    });
    const who = impersonate(bob, headers({ 'impersonate-user': ['ann'] }), authorize);
    expect(who).toEqual({ kind: 'user', name: 'ann', groups: ['system:authenticated'] });
    expect(authorize.asked).toEqual([
      { kind: 'resource', verb: 'impersonate', group: '', resource: 'users', name: 'ann' },
    ]);
    // The caller's own groups are not carried over; a name not granted is refused, worded as Kubernetes.
    expect(() => impersonate(bob, headers({ 'impersonate-user': ['admin'] }), authorize)).toThrow(
      'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });

  it('authorises every group, the uid and each extra value, and refuses on the first one not allowed', () => {
    const authorize = rulesAuthorizer({
      bob: [
        { verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] },
        { verbs: ['impersonate'], apiGroups: ['authentication.k8s.io'], resources: ['uids', 'userextras/scopes'] },
      ],
    });
    const who = impersonate(
      bob,
      headers({
        'impersonate-user': ['ann'],
        'impersonate-group': ['ops', 'qa'],
        'impersonate-uid': ['u-1'],
        'impersonate-extra-scopes': ['read', 'write'],
      }),
      authorize,
    );
    expect(who).toEqual({
      kind: 'user',
      name: 'ann',
      groups: ['ops', 'qa', 'system:authenticated'],
      uid: 'u-1',
      extra: { scopes: ['read', 'write'] },
    });
    expect(authorize.asked.map((a) => (a.kind === 'resource' ? [a.resource, a.subresource, a.name] : []))).toEqual([
      ['users', undefined, 'ann'],
      ['groups', undefined, 'ops'],
      ['groups', undefined, 'qa'],
      ['userextras', 'scopes', 'read'],
      ['userextras', 'scopes', 'write'],
      ['uids', undefined, 'u-1'],
    ]);
    // An extra key is percent-decoded (kubectl escapes `/` in it); this one is not granted.
    expect(() =>
      impersonate(
        bob,
        headers({ 'impersonate-user': ['ann'], 'impersonate-extra-example.com%2fteam': ['a'] }),
        authorize,
      ),
    ).toThrow(
      'userextras.authentication.k8s.io "a" is forbidden: User "bob" cannot impersonate resource "userextras/example.com/team" in API group "authentication.k8s.io" at the cluster scope',
    );
  });

  it('maps a service account user to `impersonate serviceaccounts` in its namespace, with its groups', () => {
    const authorize = rulesAuthorizer({
      bob: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }],
    });
    const who = impersonate(bob, headers({ 'impersonate-user': ['system:serviceaccount:ci:builder'] }), authorize);
    expect(who).toEqual({
      kind: 'user',
      name: 'system:serviceaccount:ci:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
    });
    expect(authorize.asked).toEqual([
      {
        kind: 'resource',
        verb: 'impersonate',
        group: '',
        resource: 'serviceaccounts',
        name: 'builder',
        namespace: 'ci',
      },
    ]);
  });

  it('keeps system:unauthenticated when asked for, and puts anonymous in it', () => {
    const authorize = rulesAuthorizer({ bob: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['*'] }] });
    const anon = impersonate(bob, headers({ 'impersonate-user': ['system:anonymous'] }), authorize);
    expect(anon).toMatchObject({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    const asked = impersonate(
      bob,
      headers({ 'impersonate-user': ['ann'], 'impersonate-group': ['system:unauthenticated'] }),
      authorize,
    );
    expect(asked).toMatchObject({ groups: ['system:unauthenticated'] });
  });

  it('refuses groups, a uid or extras without a user (400) and unknown Impersonate-* headers', () => {
    const authorize = rulesAuthorizer({ bob: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
    for (const h of [
      { 'impersonate-group': ['ops'] } as Record<string, string[]>,
      { 'impersonate-uid': ['u-1'] },
      { 'impersonate-extra-scopes': ['x'] },
    ])
      expect(() => impersonate(bob, headers(h), authorize)).toThrow(/without impersonating a user/);
    expect(() => impersonate(bob, headers({ 'impersonate-usr': ['ann'] }), authorize)).toThrow(
      /unknown impersonation header\(s\) impersonate-usr/,
    );
    expect(authorize.asked).toEqual([]);
  });

  it('lets a node credential impersonate no one (its authorizer refuses)', () => {
    const authorize: Authorizer = (who) =>
      who.kind === 'node' ? { allowed: false, reason: 'node credentials may only read blobs' } : { allowed: true };
    expect(() =>
      impersonate({ kind: 'node', name: 'n1' }, headers({ 'impersonate-user': ['ann'] }), authorize),
    ).toThrow(
      'users "ann" is forbidden: User "system:node:n1" cannot impersonate resource "users" in API group "" at the cluster scope: node credentials may only read blobs',
    );
  });
});

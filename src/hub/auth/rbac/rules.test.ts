import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../../api/index.js';
import type { RequestAttributes } from '../authorize.js';
import { breakdownRule, formatRule, ruleAllows, ruleCovers, uncoveredRules } from './rules.js';

const res = (
  verb: string,
  group: string,
  resource: string,
  more: { subresource?: string; name?: string; namespace?: string } = {},
): RequestAttributes => ({ kind: 'resource', verb, group, resource, ...more });
const url = (verb: string, path: string): RequestAttributes => ({ kind: 'nonResource', verb, path });

describe('ruleAllows (Kubernetes RuleAllows)', () => {
  it('matches verbs, groups and resources exactly or by *', () => {
    const rule: PolicyRule = { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'] };
    expect(ruleAllows(rule, res('get', 'apps', 'deployments'))).toBe(true);
    expect(ruleAllows(rule, res('delete', 'apps', 'deployments'))).toBe(false);
    expect(ruleAllows(rule, res('get', '', 'deployments'))).toBe(false);
    expect(ruleAllows(rule, res('get', 'apps', 'replicasets'))).toBe(false);
    const all: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleAllows(all, res('escalate', 'rbac.authorization.k8s.io', 'roles'))).toBe(true);
    expect(ruleAllows(all, res('create', '', 'pods', { subresource: 'exec' }))).toBe(true);
  });

  it('names a subresource as resource/subresource; the parent resource does not grant it', () => {
    const pods: PolicyRule = { verbs: ['*'], apiGroups: [''], resources: ['pods'] };
    expect(ruleAllows(pods, res('create', '', 'pods', { subresource: 'exec' }))).toBe(false);
    const exec: PolicyRule = { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] };
    expect(ruleAllows(exec, res('create', '', 'pods', { subresource: 'exec' }))).toBe(true);
    expect(ruleAllows(exec, res('create', '', 'pods'))).toBe(false);
    expect(ruleAllows(exec, res('get', '', 'pods', { subresource: 'log' }))).toBe(false);
  });

  it('matches */subresource against any resource with that subresource, and nothing else', () => {
    const scale: PolicyRule = { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] };
    expect(ruleAllows(scale, res('update', 'apps', 'deployments', { subresource: 'scale' }))).toBe(true);
    expect(ruleAllows(scale, res('update', 'apps', 'replicasets', { subresource: 'scale' }))).toBe(true);
    expect(ruleAllows(scale, res('update', 'apps', 'deployments'))).toBe(false);
    expect(ruleAllows(scale, res('update', 'apps', 'deployments', { subresource: 'status' }))).toBe(false);
  });

  it('restricts to resourceNames when given (a list has no name, so it is not allowed)', () => {
    const named: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] };
    expect(ruleAllows(named, res('get', '', 'pods', { name: 'a' }))).toBe(true);
    expect(ruleAllows(named, res('get', '', 'pods', { name: 'b' }))).toBe(false);
    expect(ruleAllows(named, res('list', '', 'pods'))).toBe(false);
  });

  it('matches non-resource URLs exactly, by *, or by a prefix ending in *', () => {
    const rule: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(ruleAllows(rule, url('get', '/healthz'))).toBe(true);
    expect(ruleAllows(rule, url('get', '/healthz/ping'))).toBe(false);
    expect(ruleAllows(rule, url('get', '/apis/apps/v1'))).toBe(true);
    expect(ruleAllows(rule, url('get', '/apis'))).toBe(false);
    expect(ruleAllows(rule, url('post', '/healthz'))).toBe(false);
    expect(ruleAllows({ verbs: ['*'], nonResourceURLs: ['*'] }, url('delete', '/anything'))).toBe(true);
    // A URL rule never grants a resource, nor a resource rule a URL.
    expect(ruleAllows(rule, res('get', 'apps', 'deployments'))).toBe(false);
    expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, url('get', '/healthz'))).toBe(false);
  });
});

describe('covers (Kubernetes escalation check)', () => {
  const edit: PolicyRule[] = [
    {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      apiGroups: ['apps'],
      resources: ['deployments', 'deployments/scale'],
    },
    { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
  ];

  it('breaks a rule down to one verb on one group/resource/name', () => {
    expect(
      breakdownRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['x'], resourceNames: ['a'] }),
    ).toHaveLength(4);
    expect(breakdownRule({ verbs: ['get', 'post'], nonResourceURLs: ['/a', '/b'] })).toHaveLength(4);
  });

  it('is covered by rules granting at least as much', () => {
    expect(
      uncoveredRules(edit, [{ verbs: ['get', 'create'], apiGroups: ['apps'], resources: ['deployments'] }]),
    ).toEqual([]);
    expect(
      uncoveredRules(edit, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }]),
    ).toEqual([]);
  });

  it('lists what is not held, one verb and resource at a time', () => {
    const missing = uncoveredRules(edit, [
      { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'] },
    ]);
    expect(missing.map(formatRule)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
      '{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["create"]}',
    ]);
  });

  it('treats *, */subresource and resourceNames as Kubernetes does', () => {
    const all: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleCovers(all, { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] })).toBe(true);
    const anyScale: PolicyRule = { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] };
    expect(ruleCovers(anyScale, { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] })).toBe(
      true,
    );
    expect(ruleCovers(anyScale, { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments'] })).toBe(false);
    const onlyA: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] };
    // Holding one name does not grant every name.
    expect(ruleCovers(onlyA, { verbs: ['get'], apiGroups: [''], resources: ['pods'] })).toBe(false);
    expect(ruleCovers(onlyA, { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] })).toBe(
      true,
    );
    expect(
      ruleCovers({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { verbs: ['get'], nonResourceURLs: ['/apis/x'] }),
    ).toBe(true);
    expect(
      ruleCovers({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { verbs: ['get'], nonResourceURLs: ['/api'] }),
    ).toBe(false);
  });
});

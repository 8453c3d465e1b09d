/**
 * Roles and bindings (`rbac.authorization.k8s.io/v1`): Kubernetes' validation of rules, subjects and
 * role references (`pkg/apis/rbac/validation`), subject defaulting, and the immutable `roleRef`.
 * Who may write them (escalation prevention) is the authorizer's, not the registry's: it needs the caller.
 */
import { RBAC_GROUP, type FieldCause, type KubeObject, type PolicyRule, type Subject } from '../../../api/index.js';
import type { KindRules } from './strategy.js';

const required = (field: string, message: string): FieldCause => ({ field, message, reason: 'FieldValueRequired' });
const invalid = (field: string, message: string): FieldCause => ({ field, message, reason: 'FieldValueInvalid' });
const notSupported = (field: string, message: string): FieldCause => ({
  field,
  message,
  reason: 'FieldValueNotSupported',
});

/** The causes of one rule, as Kubernetes' `ValidatePolicyRule`. */
export function policyRuleCauses(rule: PolicyRule, namespaced: boolean, at: string): FieldCause[] {
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced) return [invalid(`${at}.nonResourceURLs`, 'namespaced rules cannot apply to non-resource URLs')];
    if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0)
      return [invalid(`${at}.nonResourceURLs`, 'rules cannot apply to both regular resources and non-resource URLs')];
    return [];
  }
  const causes: FieldCause[] = [];
  if ((rule.apiGroups ?? []).length === 0)
    causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  if ((rule.resources ?? []).length === 0)
    causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  return causes;
}

function subjectCauses(s: Subject, clusterBinding: boolean, at: string): FieldCause[] {
  if (s.kind === 'ServiceAccount') {
    const causes: FieldCause[] = [];
    if ((s.apiGroup ?? '') !== '') causes.push(notSupported(`${at}.apiGroup`, 'supported values: ""'));
    if (clusterBinding && !s.namespace) causes.push(required(`${at}.namespace`, 'Required value'));
    return causes;
  }
  // Absent is fine: defaulting fills it in (after validation on create).
  return s.apiGroup === undefined || s.apiGroup === RBAC_GROUP
    ? []
    : [notSupported(`${at}.apiGroup`, `supported values: "${RBAC_GROUP}"`)];
}

interface RoleLike extends KubeObject {
  rules?: PolicyRule[];
}
interface BindingLike extends KubeObject {
  subjects?: Subject[];
  roleRef: { apiGroup: string; kind: string; name: string };
}

function roleRules(namespaced: boolean): KindRules {
  return {
    validate: (obj) =>
      ((obj as RoleLike).rules ?? []).flatMap((r, i) => policyRuleCauses(r, namespaced, `rules[${i}]`)),
  };
}

/** Kubernetes' `SetDefaults_Subject`: a User or Group subject is in the RBAC group unless it says otherwise. */
function defaultSubjects(obj: KubeObject): KubeObject {
  const b = obj as BindingLike;
  if (!b.subjects) return obj;
  const subjects = b.subjects.map((s) =>
    s.apiGroup === undefined && (s.kind === 'User' || s.kind === 'Group') ? { ...s, apiGroup: RBAC_GROUP } : s,
  );
  return { ...obj, subjects };
}

function bindingRules(clusterBinding: boolean): KindRules {
  return {
    applyDefaults: defaultSubjects,
    validate: (obj) => {
      const b = obj as BindingLike;
      const causes = (b.subjects ?? []).flatMap((s, i) => subjectCauses(s, clusterBinding, `subjects[${i}]`));
      if (clusterBinding && b.roleRef.kind !== 'ClusterRole')
        causes.push(notSupported('roleRef.kind', 'supported values: "ClusterRole"'));
      return causes;
    },
    // A binding's meaning is its role: changing it would silently regrant; delete and recreate instead.
    validateUpdate: (cur, next) => {
      const a = (cur as BindingLike).roleRef;
      const b = (next as BindingLike).roleRef;
      return a.apiGroup === b.apiGroup && a.kind === b.kind && a.name === b.name
        ? []
        : [invalid('roleRef', 'cannot change roleRef')];
    },
  };
}

/** The rules of the four RBAC kinds, by kind. */
export const rbacStrategies: Readonly<Record<string, KindRules>> = {
  Role: roleRules(true),
  ClusterRole: roleRules(false),
  RoleBinding: bindingRules(false),
  ClusterRoleBinding: bindingRules(true),
};

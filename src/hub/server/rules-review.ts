/**
 * The answer of a SelfSubjectRulesReview: every rule RBAC grants the caller where `namespace` applies
 * (its ClusterRoleBindings, and the RoleBindings of the namespace), split as Kubernetes splits them
 * into resource and non-resource rules. Node credentials have a policy of their own, not rules: their
 * answer is empty and marked incomplete, as Kubernetes marks the Node authorizer's.
 */
import type { SubjectRulesReviewStatus } from '../../api/index.js';
import { userInfoOf, type Principal, type RbacPolicy } from '../auth/index.js';

/** The caller's rules in `namespace` ('' for cluster bindings only). */
export function rulesReviewStatus(
  policy: RbacPolicy | undefined,
  who: Principal,
  namespace: string,
): SubjectRulesReviewStatus {
  const user = userInfoOf(who);
  const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
  if (policy === undefined || user === undefined)
    return {
      ...status,
      incomplete: true,
      evaluationError:
        user === undefined ? 'node credentials are decided by node restriction, not RBAC rules' : 'RBAC is not enabled',
    };
  for (const granted of policy.rulesFor(user, namespace === '' ? undefined : namespace))
    for (const r of granted.rules) {
      if ((r.resources ?? []).length > 0)
        status.resourceRules.push({
          verbs: r.verbs,
          apiGroups: r.apiGroups ?? [],
          resources: r.resources ?? [],
          ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
        });
      if ((r.nonResourceURLs ?? []).length > 0)
        status.nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs ?? [] });
    }
  return status;
}

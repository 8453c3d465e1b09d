/**
 * Escalation prevention, as Kubernetes' RBAC storage does it: a user may write a Role or ClusterRole
 * only if it already holds every permission the role grants (where the role applies), or may
 * `escalate` it; may write a binding only if it holds every permission of the referenced role in the
 * binding's scope, or may `bind` that role. `system:masters` may do both.
 */
import {
  ForbiddenError,
  NotFoundError,
  RBAC_GROUP,
  type ClusterRole,
  type ClusterRoleBinding,
  type KubeObject,
  type PolicyRule,
  type Role,
  type RoleBinding,
} from '../../../api/index.js';
import type { Authorizer } from '../authorize.js';
import { GROUP_MASTERS, userInfoOf, type Principal } from '../principal.js';
import type { RbacPolicy, UserInfo } from './policy.js';
import { formatRule, uncoveredRules } from './rules.js';

/** Every permission: what writing an aggregating ClusterRole takes. */
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const PLURAL: Readonly<Record<string, string>> = {
  Role: 'roles',
  ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings',
  ClusterRoleBinding: 'clusterrolebindings',
};

/** Whether `kind` is one escalation prevention guards. */
export function isRbacKind(kind: string): boolean {
  return kind in PLURAL;
}

function ownedRules(policy: RbacPolicy, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of policy.rulesFor(user, namespace)) out.push(...g.rules);
  return out;
}

function refuseEscalation(obj: KubeObject, user: UserInfo, missing: readonly PolicyRule[]): ForbiddenError {
  const groups = user.groups.map((g) => JSON.stringify(g)).join(' ');
  return new ForbiddenError(
    `${PLURAL[obj.kind] ?? obj.kind}.${RBAC_GROUP} ${JSON.stringify(obj.metadata.name ?? '')} is forbidden: user ${JSON.stringify(user.name)} (groups=[${groups}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(formatRule).join('\n')}`,
  );
}

/**
 * Throws ForbiddenError when `who` may not write `obj` (a Role, ClusterRole or binding) because it
 * would grant more than `who` holds; NotFoundError when a binding's role does not exist and `who`
 * may not `bind` it. `obj` is the validated object about to be stored.
 */
export function checkNoEscalation(policy: RbacPolicy, authorize: Authorizer, who: Principal, obj: KubeObject): void {
  const user = userInfoOf(who);
  if (!user) throw new ForbiddenError(`${PLURAL[obj.kind] ?? obj.kind}.${RBAC_GROUP} is forbidden: node credentials`);
  if (user.groups.includes(GROUP_MASTERS)) return;
  const namespace = obj.metadata.namespace;
  const allowedTo = (verb: string, resource: string, name: string): boolean =>
    authorize(who, {
      kind: 'resource',
      verb,
      group: RBAC_GROUP,
      resource,
      name,
      ...(namespace !== undefined ? { namespace } : {}),
    }).allowed;

  if (obj.kind === 'Role' || obj.kind === 'ClusterRole') {
    if (allowedTo('escalate', PLURAL[obj.kind] ?? '', obj.metadata.name ?? '')) return;
    // An aggregating role grants whatever roles are later labelled for it: as Kubernetes, only a
    // holder of every permission may write one.
    if ((obj as ClusterRole).aggregationRule !== undefined) {
      if (uncoveredRules(ownedRules(policy, user, undefined), FULL_AUTHORITY).length > 0)
        throw new ForbiddenError(
          `clusterroles.${RBAC_GROUP} ${JSON.stringify(obj.metadata.name ?? '')} is forbidden: must have cluster-admin privileges to use the aggregationRule`,
        );
      return;
    }
    const missing = uncoveredRules(ownedRules(policy, user, namespace), (obj as Role).rules ?? []);
    if (missing.length > 0) throw refuseEscalation(obj, user, missing);
    return;
  }
  const ref = (obj as RoleBinding | ClusterRoleBinding).roleRef;
  const refPlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  if (allowedTo('bind', refPlural, ref.name)) return;
  const rules = policy.roleRules(ref, namespace);
  if (!rules) throw new NotFoundError(`${refPlural}.${RBAC_GROUP}`, ref.name);
  const missing = uncoveredRules(ownedRules(policy, user, namespace), rules);
  if (missing.length > 0) throw refuseEscalation(obj, user, missing);
}

/**
 * The hub's authorizer: RBAC for users and bootstrap tokens (Kubernetes' `RBACAuthorizer`: allowed
 * when some rule of some binding naming the user or one of its groups allows the request), the node
 * policy for node credentials.
 */
import { nodeAuthorizer, type Authorizer, type Decision, type RequestAttributes } from '../authorize.js';
import { userInfoOf, type Principal } from '../principal.js';
import type { RbacPolicy, UserInfo } from './policy.js';
import { ruleAllows } from './rules.js';

/** The RBAC decision for `user`; the reason of an allowed request names the binding that allowed it. */
export function rbacDecision(policy: RbacPolicy, user: UserInfo, what: RequestAttributes): Decision {
  const namespace = what.kind === 'resource' ? what.namespace : undefined;
  for (const granted of policy.rulesFor(user, namespace))
    if (granted.rules.some((r) => ruleAllows(r, what)))
      return { allowed: true, reason: `RBAC: allowed by ${granted.source} to User "${user.name}"` };
  return { allowed: false, reason: '' };
}

/**
 * The authorizer over `policy`. `forNode` decides node credentials; it is a parameter so that node
 * restriction can replace today's node policy without touching RBAC.
 */
export function rbacAuthorizer(
  policy: RbacPolicy,
  forNode: (who: Principal, what: RequestAttributes) => Decision = (_who, what) => nodeAuthorizer(what),
): Authorizer {
  return (who: Principal, what: RequestAttributes): Decision => {
    const user = userInfoOf(who);
    return user ? rbacDecision(policy, user, what) : forNode(who, what);
  };
}

/** RBAC (`rbac.authorization.k8s.io/v1`): the policy over informers, the authorizer, escalation prevention, built-ins. */
import {
  RBAC_GROUP,
  TOKEN_GROUP,
  type KubeObject,
  type Token,
  type Logger,
  type ClusterRole,
  type ClusterRoleBinding,
  type Role,
  type RoleBinding,
} from '../../../api/index.js';
import { InformerFactory } from '../../informers/index.js';
import type { ObjectAPI } from '../../registry/index.js';
import type { Authorizer, Decision, RequestAttributes } from '../authorize.js';
import type { Principal } from '../principal.js';
import { rbacAuthorizer } from './authorizer.js';
import { issueTokensOnCreate } from '../tokens/index.js';
import { guardRbacWrites } from './guarded-api.js';
import { RbacPolicy } from './policy.js';
import { reconcileBootstrapPolicy } from './reconcile-bootstrap.js';

export { RbacPolicy, type RbacInformers, type UserInfo, type GrantedRules } from './policy.js';
export { rbacAuthorizer, rbacDecision } from './authorizer.js';
export { checkNoEscalation, isRbacKind } from './escalation.js';
export { guardRbacWrites } from './guarded-api.js';
export { ruleAllows, ruleCovers, uncoveredRules, breakdownRule, formatRule } from './rules.js';
export { reconcileBootstrapPolicy } from './reconcile-bootstrap.js';
export { ClusterRoleAggregationController, aggregatedRules, type ClusterRoleAggregationDeps } from './aggregation.js';
export {
  AUTOUPDATE_ANNOTATION,
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  aggregateToLabel,
} from './bootstrap-policy.js';

/**
 * What the API server needs of authorisation: a decision per request, and the object API of one
 * caller (RBAC's escalation prevention, and Token issuance on create).
 */
export interface Rbac {
  policy: RbacPolicy;
  authorize: Authorizer;
  /** `api` as `who` writes through it (escalation prevention on RBAC objects). */
  apiFor(who: Principal, api: ObjectAPI): ObjectAPI;
}

/**
 * RBAC over the shared informers of `informers` (created here, started with the others). `forNode`
 * decides node credentials (default: today's node policy).
 */
export function createRbac(
  informers: InformerFactory,
  opts: {
    forNode?: (who: Principal, what: RequestAttributes) => Decision;
    /** The hub CA's hash, for the join string of bootstrap tokens created through the API. */
    caHash?: string;
  } = {},
): Rbac {
  const v = `${RBAC_GROUP}/v1`;
  const policy = new RbacPolicy({
    roles: informers.for<Role>(v, 'Role'),
    clusterRoles: informers.for<ClusterRole>(v, 'ClusterRole'),
    roleBindings: informers.for<RoleBinding>(v, 'RoleBinding'),
    clusterRoleBindings: informers.for<ClusterRoleBinding>(v, 'ClusterRoleBinding'),
  });
  const authorize = rbacAuthorizer(policy, opts.forNode);
  const tokens = informers.for<Token>(`${TOKEN_GROUP}/v1`, 'Token');
  // What decides requests learns of a caller's writes at once; a Token's create response carries its
  // secret (status), which no cache keeps.
  const observe = (obj: KubeObject, deleted: boolean): void => {
    if (obj.kind !== 'Token') return policy.observe(obj, deleted);
    const stored = { ...obj } as Token;
    delete stored.status;
    tokens.observe(stored, deleted);
  };
  // A caller's writes: escalation prevention first, then tokens are issued (their secret made) on create.
  return {
    policy,
    authorize,
    apiFor: (who, api) => guardRbacWrites(issueTokensOnCreate(api, opts.caHash), policy, authorize, who, observe),
  };
}

/**
 * RBAC for an API app without a hub around it (`createTestApi`, server tests): the built-in policy
 * reconciled, informers of its own started. `stop()` ends their watches.
 */
export async function startStandaloneRbac(api: ObjectAPI, logger: Logger): Promise<Rbac & { stop: () => void }> {
  await reconcileBootstrapPolicy(api, logger);
  const informers = new InformerFactory(api, logger);
  const rbac = createRbac(informers);
  await informers.start();
  return { ...rbac, stop: () => informers.stop() };
}

/** Authentication of API callers (bearer tokens), principals, and authorisation (RBAC). */
export { TokenAuth, readOrCreateSecret, type Role, type TokenAuthOptions } from './token-auth.js';
export {
  GROUP_AUTHENTICATED,
  GROUP_BOOTSTRAPPERS,
  GROUP_MASTERS,
  GROUP_READ_ONLY,
  principalName,
  userInfoOf,
  userPrincipal,
  type Principal,
} from './principal.js';
export {
  nodeAuthorizer,
  mastersOnlyAuthorizer,
  isReadVerb,
  forbiddenMessage,
  type Authorizer,
  type Decision,
  type RequestAttributes,
  type Verb,
} from './authorize.js';
export {
  createRbac,
  startStandaloneRbac,
  reconcileBootstrapPolicy,
  rbacAuthorizer,
  RbacPolicy,
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  ClusterRoleAggregationController,
  type Rbac,
} from './rbac/index.js';
export {
  TokenObjectAuthenticator,
  ensureJoinToken,
  formatJoinToken,
  issueToken,
  FIRST_START_DESCRIPTION,
} from './tokens/index.js';
export { startStandaloneAuth } from './standalone.js';
export { nodeRestriction, blobRead, hubBlobsOf, type NodeRestrictionDeps } from './node-restriction.js';
export {
  impersonate,
  asksImpersonation,
  IMPERSONATE_USER,
  IMPERSONATE_GROUP,
  IMPERSONATE_UID,
  IMPERSONATE_EXTRA_PREFIX,
  type HeaderValues,
} from './impersonation.js';

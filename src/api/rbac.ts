/**
 * `rbac.authorization.k8s.io/v1`: Role, ClusterRole, RoleBinding, ClusterRoleBinding, and the
 * `authorization.k8s.io/v1` reviews (SelfSubjectAccessReview, SelfSubjectRulesReview,
 * SubjectAccessReview, LocalSubjectAccessReview). Shapes as in Kubernetes; the rules between
 * fields (a rule names resources or URLs, a Role has no URLs, roleRef is immutable) are the registry
 * strategy's (`hub/registry/strategies/rbac.ts`), as Kubernetes' `validation.go` is separate from its types.
 */
import { z } from 'zod';
import { RBAC_GROUP } from './kinds.js';
import { LabelSelector, objectShape } from './meta.js';

/** The API group of the RBAC kinds, and of User/Group subjects and role references. */

/**
 * RBAC object names are path segments, not DNS names (`system:basic-user`): Kubernetes'
 * `ValidateRBACName` refuses only `/`, `%`, `.` and `..`.
 */
export const RbacName = z
  .string()
  .min(1)
  .max(253)
  .refine((n) => n !== '.' && n !== '..' && !/[/%]/.test(n), {
    message: "may not be '.' or '..' and may not contain '/' or '%'",
  });

const rbacShape = <K extends string>(kind: K) => {
  const base = objectShape(`${RBAC_GROUP}/v1`, kind);
  return { ...base, metadata: base.metadata.extend({ name: RbacName.optional() }) };
};

/** One rule of a role: verbs on resources of API groups (optionally only some names), or on URL paths. */
export const PolicyRule = z.strictObject({
  verbs: z.array(z.string().min(1)).min(1),
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string().min(1)).optional(),
  resourceNames: z.array(z.string().min(1)).optional(),
  nonResourceURLs: z.array(z.string().min(1)).optional(),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Who a binding grants to: a user, a group or a service account. */
export const Subject = z.strictObject({
  kind: z.enum(['User', 'Group', 'ServiceAccount']),
  apiGroup: z.string().optional(),
  name: z.string().min(1),
  namespace: z.string().optional(),
});
export type Subject = z.infer<typeof Subject>;

/** The role a binding grants. */
export const RoleRef = z.strictObject({
  apiGroup: z.literal(RBAC_GROUP),
  kind: z.enum(['Role', 'ClusterRole']),
  name: RbacName,
});
export type RoleRef = z.infer<typeof RoleRef>;

export const Role = z.strictObject({ ...rbacShape('Role'), rules: z.array(PolicyRule).optional() });
export type Role = z.infer<typeof Role>;

/**
 * How a ClusterRole's rules are aggregated from other ClusterRoles: those matching any selector (the
 * hub's aggregation controller writes their rules' union into `rules`, which a user's edit of `rules`
 * does not survive). Kubernetes builds `admin`, `edit` and `view` this way.
 */
export const AggregationRule = z.strictObject({ clusterRoleSelectors: z.array(LabelSelector).optional() });
export type AggregationRule = z.infer<typeof AggregationRule>;

export const ClusterRole = z.strictObject({
  ...rbacShape('ClusterRole'),
  aggregationRule: AggregationRule.optional(),
  rules: z.array(PolicyRule).optional(),
});
export type ClusterRole = z.infer<typeof ClusterRole>;

export const RoleBinding = z.strictObject({
  ...rbacShape('RoleBinding'),
  subjects: z.array(Subject).optional(),
  roleRef: RoleRef,
});
export type RoleBinding = z.infer<typeof RoleBinding>;

export const ClusterRoleBinding = z.strictObject({
  ...rbacShape('ClusterRoleBinding'),
  subjects: z.array(Subject).optional(),
  roleRef: RoleRef,
});
export type ClusterRoleBinding = z.infer<typeof ClusterRoleBinding>;

/** The API group of access reviews. */
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

/** What an access review asks about a resource (any field absent means "all"/"none", as in Kubernetes). */
/** A list/watch request's selector, as an access review may state it (Kubernetes 1.31+). */
const SelectorAttributes = z.strictObject({
  rawSelector: z.string().optional(),
  requirements: z
    .array(z.strictObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

export const ResourceAttributes = z.strictObject({
  namespace: z.string().optional(),
  verb: z.string().optional(),
  group: z.string().optional(),
  version: z.string().optional(),
  resource: z.string().optional(),
  subresource: z.string().optional(),
  name: z.string().optional(),
  /** Kubernetes 1.31+: the request's selectors. Accepted; RBAC does not look at them. */
  fieldSelector: SelectorAttributes.optional(),
  labelSelector: SelectorAttributes.optional(),
});
export type ResourceAttributes = z.infer<typeof ResourceAttributes>;

/** What an access review asks about a URL path. */
export const NonResourceAttributes = z.strictObject({
  path: z.string().optional(),
  verb: z.string().optional(),
});

/** The answer of an access review. */
export const SubjectAccessReviewStatus = z.strictObject({
  allowed: z.boolean(),
  denied: z.boolean().optional(),
  reason: z.string().optional(),
  evaluationError: z.string().optional(),
});

const oneOfAttributes = {
  message: 'exactly one of nonResourceAttributes or resourceAttributes must be specified',
};
const exactlyOne = (s: { resourceAttributes?: unknown; nonResourceAttributes?: unknown }): boolean =>
  (s.resourceAttributes === undefined) !== (s.nonResourceAttributes === undefined);
const reviewMeta = z.record(z.string(), z.unknown()).optional();

/** `authorization.k8s.io/v1 SelfSubjectAccessReview`: may I do this? (create only, never stored). */
export const SelfSubjectAccessReview = z.strictObject({
  apiVersion: z.literal(`${AUTHORIZATION_GROUP}/v1`),
  kind: z.literal('SelfSubjectAccessReview'),
  metadata: reviewMeta,
  spec: z
    .strictObject({
      resourceAttributes: ResourceAttributes.optional(),
      nonResourceAttributes: NonResourceAttributes.optional(),
    })
    .refine(exactlyOne, oneOfAttributes),
  status: SubjectAccessReviewStatus.optional(),
});
export type SelfSubjectAccessReview = z.infer<typeof SelfSubjectAccessReview>;

/** Whom a SubjectAccessReview asks about, and what. */
export const SubjectAccessReviewSpec = z
  .strictObject({
    resourceAttributes: ResourceAttributes.optional(),
    nonResourceAttributes: NonResourceAttributes.optional(),
    user: z.string().optional(),
    groups: z.array(z.string()).optional(),
    extra: z.record(z.string(), z.array(z.string())).optional(),
    uid: z.string().optional(),
  })
  .refine(exactlyOne, oneOfAttributes)
  .refine((s) => (s.user ?? '') !== '' || (s.groups ?? []).length > 0, {
    message: 'at least one of user or group must be specified',
  });

const subjectReview = <K extends string>(kind: K) =>
  z.strictObject({
    apiVersion: z.literal(`${AUTHORIZATION_GROUP}/v1`),
    kind: z.literal(kind),
    metadata: reviewMeta,
    spec: SubjectAccessReviewSpec,
    status: SubjectAccessReviewStatus.optional(),
  });

/** `SubjectAccessReview`: may this user do this? (cluster-wide; create only, never stored). */
export const SubjectAccessReview = subjectReview('SubjectAccessReview');
export type SubjectAccessReview = z.infer<typeof SubjectAccessReview>;

/** `LocalSubjectAccessReview`: a SubjectAccessReview within one namespace (the URL's). */
export const LocalSubjectAccessReview = subjectReview('LocalSubjectAccessReview');
export type LocalSubjectAccessReview = z.infer<typeof LocalSubjectAccessReview>;

/** What a SelfSubjectRulesReview answers: the caller's rules in a namespace. */
export const SubjectRulesReviewStatus = z.strictObject({
  resourceRules: z.array(
    z.strictObject({
      verbs: z.array(z.string()),
      apiGroups: z.array(z.string()).optional(),
      resources: z.array(z.string()).optional(),
      resourceNames: z.array(z.string()).optional(),
    }),
  ),
  nonResourceRules: z.array(
    z.strictObject({ verbs: z.array(z.string()), nonResourceURLs: z.array(z.string()).optional() }),
  ),
  incomplete: z.boolean(),
  evaluationError: z.string().optional(),
});
export type SubjectRulesReviewStatus = z.infer<typeof SubjectRulesReviewStatus>;

/** `SelfSubjectRulesReview`: what may I do in this namespace? (`kubectl auth can-i --list`). */
export const SelfSubjectRulesReview = z.strictObject({
  apiVersion: z.literal(`${AUTHORIZATION_GROUP}/v1`),
  kind: z.literal('SelfSubjectRulesReview'),
  metadata: reviewMeta,
  spec: z.strictObject({ namespace: z.string().optional() }),
  status: SubjectRulesReviewStatus.optional(),
});
export type SelfSubjectRulesReview = z.infer<typeof SelfSubjectRulesReview>;

/** `authentication.k8s.io`: who the caller is (`kubectl auth whoami`). */
export const AUTHENTICATION_GROUP = 'authentication.k8s.io';

/** A user as authentication sees it: name, uid, groups and extras (`authentication.k8s.io/v1 UserInfo`). */
export const UserInfo = z.strictObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});
export type UserInfo = z.infer<typeof UserInfo>;

/** `SelfSubjectReview`: who am I? The answer is the caller, after impersonation (create only, never stored). */
export const SelfSubjectReview = z.strictObject({
  apiVersion: z.literal(`${AUTHENTICATION_GROUP}/v1`),
  kind: z.literal('SelfSubjectReview'),
  metadata: reviewMeta,
  status: z.strictObject({ userInfo: UserInfo.optional() }).optional(),
});
export type SelfSubjectReview = z.infer<typeof SelfSubjectReview>;

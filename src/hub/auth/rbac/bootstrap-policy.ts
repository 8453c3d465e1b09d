/**
 * The built-in ClusterRoles and ClusterRoleBindings, after Kubernetes' bootstrap policy
 * (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`) restricted to the resources Edgeplane
 * serves or will serve (`secrets`, `configmaps`, `horizontalpodautoscalers` are named already, so a
 * kind that arrives later is covered by the meaning the role has in Kubernetes):
 * - `view`: read most things, but not Secrets, nor exec/attach/portforward/proxy, nor roles;
 * - `edit`: `view` + write workloads, read Secrets, exec; nothing on roles or bindings;
 * - `admin`: `edit` + Roles and RoleBindings (meant to be bound per namespace);
 * - `cluster-admin`: everything, bound to `system:masters`;
 * - `system:discovery`, `system:basic-user`: discovery and access reviews of oneself for every user.
 * `admin`/`edit`/`view` aggregate, as in Kubernetes: their rules are the union of the ClusterRoles
 * labelled `rbac.authorization.k8s.io/aggregate-to-<role>: "true"` (`aggregation.ts` keeps them so),
 * which are `system:aggregate-to-<role>` and whatever an operator adds (a CRD's roles, say); `view` is
 * labelled to aggregate into `edit`, and `edit` into `admin`. They are created with that union already
 * written out, so they grant it from the first request (and where no controller runs: tests).
 */
import {
  AUTHENTICATION_GROUP,
  AUTHORIZATION_GROUP,
  BLOB_PATH,
  CANARY_GROUP,
  GATEWAY_GROUP,
  RBAC_GROUP,
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
} from '../../../api/index.js';
import { GROUP_AUTHENTICATED, GROUP_MASTERS, GROUP_READ_ONLY } from '../principal.js';
import { HUB_PEERS_GROUP, PEER_BLOB_PATH } from '../../blobs/index.js';

/** Objects carrying it are kept up to date by the hub on every start (unless set to "false"). */
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});

/** metrics-server's `system:aggregated-metrics-reader` rule: read pod and node metrics. */
const METRICS_READER_RULE = rule(READ, ['metrics.k8s.io'], ['pods', 'nodes']);

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods', 'services', 'services/status', 'endpoints', 'configmaps']),
  rule(READ, [''], ['events', 'pods/status', 'pods/log', 'namespaces/status']),
  rule(READ, [''], ['namespaces']),
  rule(
    READ,
    ['apps'],
    [
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/status',
      'deployments/scale',
      'replicasets',
      'replicasets/status',
      'replicasets/scale',
    ],
  ),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['jobs', 'jobs/status']),
  // Gateway API routes are served built in, so the aggregated roles cover them as Kubernetes' cover
  // its built-in Ingresses.
  rule(READ, [GATEWAY_GROUP], ['gateways', 'gateways/status', 'httproutes', 'httproutes/status']),
  rule(READ, [GATEWAY_GROUP], ['referencegrants']),
  rule(READ, [CANARY_GROUP], ['canaries', 'canaries/status']),
  // Content-store blobs are URLs, not resources: effective through a ClusterRoleBinding, as every URL rule.
  { verbs: ['get'], nonResourceURLs: [`${BLOB_PATH}/*`] },
];

const EDIT_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
  rule(WRITE, [''], ['services', 'services/proxy', 'configmaps', 'secrets', 'events']),
  rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/scale', 'replicasets', 'replicasets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['jobs']),
  rule(WRITE, [GATEWAY_GROUP], ['gateways', 'httproutes']),
  rule(WRITE, [CANARY_GROUP], ['canaries']),
  { verbs: ['create'], nonResourceURLs: [BLOB_PATH] },
];

const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], [AUTHORIZATION_GROUP], ['localsubjectaccessreviews']),
  rule([...READ, ...WRITE], [RBAC_GROUP], ['roles', 'rolebindings']),
  // A ReferenceGrant opens a namespace's Services to routes of others: a namespace admin's decision.
  rule(WRITE, [GATEWAY_GROUP], ['referencegrants']),
];

/** The label that makes a ClusterRole's rules part of the built-in role `to` (`admin`, `edit`, `view`). */
export function aggregateToLabel(to: 'admin' | 'edit' | 'view'): string {
  return `${RBAC_GROUP}/aggregate-to-${to}`;
}

/** Built-in objects are labelled as Kubernetes labels them and kept up to date on every start. */
const bootstrapMeta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
  annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
});

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: bootstrapMeta(name, labels),
    rules,
  };
}

/** A role aggregating from the roles labelled for it, labelled itself to feed `into` (if any). */
function aggregatingRole(name: 'admin' | 'edit' | 'view', rules: PolicyRule[], into?: 'admin' | 'edit'): ClusterRole {
  return {
    ...clusterRole(name, rules, into ? { [aggregateToLabel(into)]: 'true' } : {}),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateToLabel(name)]: 'true' } }] },
  };
}

function clusterRoleBinding(name: string, role: string, group: string): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: bootstrapMeta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'Group', apiGroup: RBAC_GROUP, name: group }],
  };
}

/** The built-in ClusterRoles. */
export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole('cluster-admin', [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ]),
  // The union in aggregation order (the sources by name: `edit` before `system:aggregate-to-admin`,
  // `system:aggregate-to-view` before `system:aggregated-metrics-reader`), duplicates dropped.
  aggregatingRole('admin', [...EDIT_RULES, METRICS_READER_RULE, ...VIEW_RULES, ...ADMIN_RULES]),
  aggregatingRole('edit', [...EDIT_RULES, METRICS_READER_RULE, ...VIEW_RULES], 'admin'),
  aggregatingRole('view', [...VIEW_RULES, METRICS_READER_RULE], 'edit'),
  clusterRole('system:aggregate-to-admin', ADMIN_RULES, { [aggregateToLabel('admin')]: 'true' }),
  clusterRole('system:aggregate-to-edit', EDIT_RULES, { [aggregateToLabel('edit')]: 'true' }),
  clusterRole('system:aggregate-to-view', VIEW_RULES, { [aggregateToLabel('view')]: 'true' }),
  // As metrics-server installs it: aggregated into view, edit and admin by its labels.
  clusterRole('system:aggregated-metrics-reader', [METRICS_READER_RULE], {
    [aggregateToLabel('view')]: 'true',
    [aggregateToLabel('edit')]: 'true',
    [aggregateToLabel('admin')]: 'true',
  }),
  clusterRole('system:discovery', [
    {
      verbs: ['get'],
      nonResourceURLs: [
        '/healthz',
        '/livez',
        '/readyz',
        '/version',
        '/version/',
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/openapi',
        '/openapi/*',
      ],
    },
  ]),
  // Hubs copying blobs to and from each other (issue 19): their client certificates' group, nothing else.
  clusterRole('system:edgeplane:hub-peer', [
    { verbs: ['get'], nonResourceURLs: [`${PEER_BLOB_PATH}/*`] },
    { verbs: ['create'], nonResourceURLs: [PEER_BLOB_PATH] },
  ]),
  clusterRole('system:basic-user', [
    rule(['create'], [AUTHORIZATION_GROUP], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], [AUTHENTICATION_GROUP], ['selfsubjectreviews']),
  ]),
];

/** The built-in ClusterRoleBindings. */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  clusterRoleBinding('cluster-admin', 'cluster-admin', GROUP_MASTERS),
  clusterRoleBinding('system:discovery', 'system:discovery', GROUP_AUTHENTICATED),
  clusterRoleBinding('system:basic-user', 'system:basic-user', GROUP_AUTHENTICATED),
  // `role: read-only` users of tokens.json, as before RBAC: read-only everywhere (`view`, cluster-wide).
  clusterRoleBinding('edgeplane:read-only', 'view', GROUP_READ_ONLY),
  clusterRoleBinding('system:edgeplane:hub-peer', 'system:edgeplane:hub-peer', HUB_PEERS_GROUP),
];

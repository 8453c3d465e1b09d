/**
 * Creates the built-in roles and bindings on hub start and keeps them up to date, as Kubernetes'
 * `rbac/bootstrap-roles` post-start hook does: a missing object is created; one annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "false"` is left alone; otherwise missing labels,
 * permissions and subjects are added (never removed: an operator's additions stay) and a binding
 * whose roleRef changed is recreated. An aggregating role (`admin`, `edit`, `view`) gets its missing
 * selectors, not rules: its rules are the aggregation controller's to write.
 */
import {
  AlreadyExistsError,
  NotFoundError,
  RBAC_GROUP,
  typeByKind,
  type ClusterRole,
  type ClusterRoleBinding,
  type Logger,
  type ResourceType,
} from '../../../api/index.js';
import { jsonEqual } from '../../reconcile/index.js';
import type { ObjectAPI } from '../../registry/index.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLE_BINDINGS } from './bootstrap-policy.js';
import { uncoveredRules } from './rules.js';

function rbacType(kind: string): ResourceType {
  const t = typeByKind(`${RBAC_GROUP}/v1`, kind);
  if (!t) throw new Error(`${kind} is not registered`);
  return t;
}

async function getOrUndefined<T extends ClusterRole | ClusterRoleBinding>(
  api: ObjectAPI,
  type: ResourceType,
  name: string,
): Promise<T | undefined> {
  try {
    return await api.get<T>(type, undefined, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

async function createIgnoringRace(api: ObjectAPI, type: ResourceType, obj: unknown): Promise<void> {
  try {
    await api.create(type, obj);
  } catch (err) {
    // Another hub of the same store created it first: what it wrote is the same policy.
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}

async function reconcileRole(api: ObjectAPI, type: ResourceType, want: ClusterRole, log: Logger): Promise<void> {
  const name = want.metadata.name ?? '';
  const cur = await getOrUndefined<ClusterRole>(api, type, name);
  if (!cur) {
    await createIgnoringRace(api, type, want);
    log.info({ clusterRole: name }, 'created built-in ClusterRole');
    return;
  }
  if (cur.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return;
  const labels = { ...want.metadata.labels, ...cur.metadata.labels };
  const labelsMissing = Object.keys(labels).length !== Object.keys(cur.metadata.labels ?? {}).length;
  if (want.aggregationRule !== undefined) {
    const haveSelectors = cur.aggregationRule?.clusterRoleSelectors ?? [];
    const missingSelectors = (want.aggregationRule.clusterRoleSelectors ?? []).filter(
      (s) => !haveSelectors.some((h) => jsonEqual(h, s)),
    );
    if (missingSelectors.length === 0 && !labelsMissing) return;
    await api.update(type, {
      ...cur,
      metadata: { ...cur.metadata, labels },
      aggregationRule: { ...cur.aggregationRule, clusterRoleSelectors: [...haveSelectors, ...missingSelectors] },
    });
    log.info({ clusterRole: name }, 'added missing aggregation selectors or labels to built-in ClusterRole');
    return;
  }
  const have = cur.rules ?? [];
  const missing = (want.rules ?? []).filter((r) => uncoveredRules(have, [r]).length > 0);
  if (missing.length === 0 && !labelsMissing) return;
  await api.update(type, { ...cur, metadata: { ...cur.metadata, labels }, rules: [...have, ...missing] });
  log.info({ clusterRole: name, added: missing.length }, 'added missing permissions or labels to built-in ClusterRole');
}

async function reconcileBinding(
  api: ObjectAPI,
  type: ResourceType,
  want: ClusterRoleBinding,
  log: Logger,
): Promise<void> {
  const name = want.metadata.name ?? '';
  const cur = await getOrUndefined<ClusterRoleBinding>(api, type, name);
  if (cur?.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return;
  if (cur && cur.roleRef.name !== want.roleRef.name) {
    // roleRef is immutable: a changed built-in role means a new binding.
    await api.delete(type, undefined, name, { gracePeriodSeconds: 0 });
  } else if (cur) {
    const have = cur.subjects ?? [];
    const missing = (want.subjects ?? []).filter(
      (s) => !have.some((h) => h.kind === s.kind && h.name === s.name && (h.namespace ?? '') === (s.namespace ?? '')),
    );
    if (missing.length === 0) return;
    await api.update(type, { ...cur, subjects: [...have, ...missing] });
    log.info({ clusterRoleBinding: name }, 'added missing subjects to built-in ClusterRoleBinding');
    return;
  }
  await createIgnoringRace(api, type, want);
  log.info({ clusterRoleBinding: name }, 'created built-in ClusterRoleBinding');
}

/** Makes sure the built-in ClusterRoles and ClusterRoleBindings exist and grant what they should. */
export async function reconcileBootstrapPolicy(api: ObjectAPI, logger: Logger): Promise<void> {
  const roles = rbacType('ClusterRole');
  const bindings = rbacType('ClusterRoleBinding');
  for (const r of BOOTSTRAP_CLUSTER_ROLES) await reconcileRole(api, roles, r, logger);
  for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) await reconcileBinding(api, bindings, b, logger);
}

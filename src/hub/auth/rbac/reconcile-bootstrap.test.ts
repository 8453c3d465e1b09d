import { afterEach, beforeEach, expect, it } from 'vitest';
import { typeByKind, type ClusterRole, type ClusterRoleBinding } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { createTestApi, type TestApi } from '../../testing/index.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { reconcileBootstrapPolicy } from './reconcile-bootstrap.js';

const CR = typeByKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!;
const CRB = typeByKind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')!;
const custom = { verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] };

let t: TestApi;
beforeEach(async () => {
  t = await createTestApi();
});
afterEach(() => t.close());

const AGG_VIEW = 'system:aggregate-to-view';

it('restores missing permissions of an auto-updated role, keeping what an operator added', async () => {
  const view = await t.api.get<ClusterRole>(CR, undefined, AGG_VIEW);
  await t.api.update(CR, { ...view, rules: [custom] });
  await reconcileBootstrapPolicy(t.api, silentLogger());
  const after = await t.api.get<ClusterRole>(CR, undefined, AGG_VIEW);
  const want = BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata.name === AGG_VIEW)?.rules ?? [];
  expect(after.rules).toEqual([custom, ...want]);
  // Nothing to do the second time: no write.
  await reconcileBootstrapPolicy(t.api, silentLogger());
  expect((await t.api.get<ClusterRole>(CR, undefined, AGG_VIEW)).metadata.resourceVersion).toBe(
    after.metadata.resourceVersion,
  );
});

it('turns a view written out by an older hub into an aggregating one, leaving its rules to the controller', async () => {
  const view = await t.api.get<ClusterRole>(CR, undefined, 'view');
  const old: ClusterRole = { ...view, metadata: { ...view.metadata, labels: {} }, rules: [custom] };
  delete old.aggregationRule;
  await t.api.update(CR, old);
  await reconcileBootstrapPolicy(t.api, silentLogger());
  const after = await t.api.get<ClusterRole>(CR, undefined, 'view');
  expect(after.aggregationRule).toEqual({
    clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
  });
  expect(after.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
  expect(after.rules).toEqual([custom]);
});

it('leaves a role annotated autoupdate "false" as the operator made it', async () => {
  const edit = await t.api.get<ClusterRole>(CR, undefined, 'edit');
  const annotations = { ...edit.metadata.annotations, [AUTOUPDATE_ANNOTATION]: 'false' };
  await t.api.update(CR, { ...edit, metadata: { ...edit.metadata, annotations }, rules: [custom] });
  await reconcileBootstrapPolicy(t.api, silentLogger());
  expect((await t.api.get<ClusterRole>(CR, undefined, 'edit')).rules).toEqual([custom]);
});

it('recreates a deleted built-in binding and adds its missing subjects back', async () => {
  await t.api.delete(CRB, undefined, 'system:basic-user');
  const admin = await t.api.get<ClusterRoleBinding>(CRB, undefined, 'cluster-admin');
  await t.api.update(CRB, { ...admin, subjects: [{ kind: 'User', name: 'root' }] });
  await reconcileBootstrapPolicy(t.api, silentLogger());
  expect((await t.api.get<ClusterRoleBinding>(CRB, undefined, 'system:basic-user')).roleRef.name).toBe(
    'system:basic-user',
  );
  expect((await t.api.get<ClusterRoleBinding>(CRB, undefined, 'cluster-admin')).subjects?.map((s) => s.name)).toEqual([
    'root',
    'system:masters',
  ]);
});

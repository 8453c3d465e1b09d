/**
 * ClusterRole aggregation through a real hub (store, informers, the controller as the hub starts it):
 * the built-in `admin`/`edit`/`view` chain and an operator's roles labelled into it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRole, PolicyRule } from '../../../api/index.js';
import { typeByKind } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { Hub } from '../../hub.js';
import { aggregatedRules } from './aggregation.js';
import { aggregateToLabel } from './bootstrap-policy.js';

const CR = typeByKind('rbac.authorization.k8s.io/v1', 'ClusterRole')!;
const widgets: PolicyRule = { verbs: ['get', 'list'], apiGroups: ['example.com'], resources: ['widgets'] };

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[]): ClusterRole => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
});

describe('aggregatedRules', () => {
  it('unites the matching roles’ rules by role name, each rule once, never the role’s own', () => {
    const agg: ClusterRole = {
      ...role('agg', { pick: 'yes' }, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
      aggregationRule: {
        clusterRoleSelectors: [
          { matchLabels: { pick: 'yes' } },
          { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        ],
      },
    };
    const b = role('b', { pick: 'yes' }, [widgets, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
    const a = role('a', { tier: 'x' }, [widgets]);
    const other = role('c', { pick: 'no' }, [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
    expect(aggregatedRules(agg, [agg, b, other, a])).toEqual([
      widgets,
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
  });
});

describe('the aggregation controller in a hub', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rbac-aggregation-'));
    hub = await Hub.create({ dataDir: dir, host: '127.0.0.1', port: 0, insecureHttp: true, logger: silentLogger() });
    await hub.start();
  });
  afterAll(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (name: string): Promise<ClusterRole> => hub.api.get<ClusterRole>(CR, undefined, name);
  const rulesOf = async (name: string): Promise<PolicyRule[]> => (await get(name)).rules ?? [];

  it('builds view ⊂ edit ⊂ admin from the system:aggregate-to-* roles', async () => {
    const view = await rulesOf('view');
    // view gathers system:aggregate-to-view and metrics-server's system:aggregated-metrics-reader.
    const sources = [
      ...(await rulesOf('system:aggregate-to-view')),
      ...(await rulesOf('system:aggregated-metrics-reader')),
    ];
    expect(view).toEqual(sources);
    const edit = await rulesOf('edit');
    const admin = await rulesOf('admin');
    for (const r of view) expect(edit).toContainEqual(r);
    for (const r of edit) expect(admin).toContainEqual(r);
    expect(view.some((r) => r.resources?.includes('secrets'))).toBe(false);
    expect(edit.some((r) => r.resources?.includes('secrets'))).toBe(true);
    expect(edit.some((r) => r.resources?.includes('rolebindings'))).toBe(false);
    expect(admin.some((r) => r.resources?.includes('rolebindings'))).toBe(true);
    // The built-in Gateway API kinds: view reads routes, edit writes them.
    const grants = (rules: PolicyRule[], verb: string): boolean =>
      rules.some(
        (r) =>
          r.apiGroups?.includes('gateway.networking.k8s.io') &&
          r.resources?.includes('httproutes') &&
          r.verbs.includes(verb),
      );
    expect([grants(view, 'list'), grants(view, 'create'), grants(edit, 'create')]).toEqual([true, false, true]);
  });

  it('carries a role labelled aggregate-to-view up the chain, and takes it back when the label goes', async () => {
    await hub.api.create(CR, role('widget-viewer', { [aggregateToLabel('view')]: 'true' }, [widgets]));
    for (const name of ['view', 'edit', 'admin'])
      await expect.poll(() => rulesOf(name), { timeout: 10_000 }).toContainEqual(widgets);

    const labelled = await get('widget-viewer');
    await hub.api.update(CR, { ...labelled, metadata: { ...labelled.metadata, labels: {} } });
    for (const name of ['view', 'edit', 'admin'])
      await expect.poll(() => rulesOf(name), { timeout: 10_000 }).not.toContainEqual(widgets);
  });

  it('overwrites a hand edit of an aggregated role’s rules', async () => {
    const view = await get('view');
    const before = view.rules ?? [];
    await hub.api.update(CR, { ...view, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
    await expect.poll(() => rulesOf('view'), { timeout: 10_000 }).toEqual(before);
  });
});

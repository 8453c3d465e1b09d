/**
 * ClusterRole aggregation, as Kubernetes' `clusterrole-aggregation-controller`: a ClusterRole with an
 * `aggregationRule` gets as `rules` the union of the rules of every other ClusterRole matching one of
 * its `clusterRoleSelectors` (in name order, each rule once). Level-triggered: any ClusterRole change
 * enqueues every aggregating role, and a reconcile reads what the cache holds now and writes only when
 * the union differs. Chains settle by themselves (`view` feeds `edit`, which feeds `admin`): writing
 * `view` is a ClusterRole change, which enqueues `edit` again.
 */
import type { Clock, ClusterRole, Logger, PolicyRule } from '../../../api/index.js';
import { RBAC_GROUP, fromLabelSelector, matchesLabels, typeByKind, type Selector } from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import { Controller, jsonEqual } from '../../reconcile/index.js';
import type { ObjectAPI } from '../../registry/index.js';

const CLUSTER_ROLE = typeByKind(`${RBAC_GROUP}/v1`, 'ClusterRole')!;

/** What the aggregation controller reads and writes. */
export interface ClusterRoleAggregationDeps {
  api: ObjectAPI;
  clusterRoles: Informer<ClusterRole>;
  clock: Clock;
  logger: Logger;
}

/** The selectors of an aggregating role; an empty selector matches every ClusterRole, as in Kubernetes. */
function selectorsOf(role: ClusterRole): Selector[] {
  return (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => fromLabelSelector(s) ?? []);
}

/**
 * The rules `role` aggregates from `all`: every rule of every other matching ClusterRole, by role
 * name, duplicates dropped (Kubernetes compares whole rules).
 */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = selectorsOf(role);
  const sources = all
    .filter((r) => r.metadata.name !== role.metadata.name)
    .filter((r) => selectors.some((s) => matchesLabels(s, r.metadata.labels)))
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const out: PolicyRule[] = [];
  for (const source of sources)
    for (const rule of source.rules ?? []) if (!out.some((r) => jsonEqual(r, rule))) out.push(rule);
  return out;
}

/** Keeps the `rules` of every aggregating ClusterRole equal to what its selectors gather. */
export class ClusterRoleAggregationController extends Controller {
  readonly #deps: ClusterRoleAggregationDeps;

  constructor(deps: ClusterRoleAggregationDeps) {
    super({ name: 'clusterrole-aggregation', logger: deps.logger, clock: deps.clock, workers: 1 });
    this.#deps = deps;
    const enqueueAggregating = (): void => {
      for (const key of this.initialKeys()) this.queue.add(key);
    };
    deps.clusterRoles.addHandler({
      onAdd: enqueueAggregating,
      onUpdate: enqueueAggregating,
      onDelete: enqueueAggregating,
    });
  }

  protected *initialKeys(): Iterable<string> {
    for (const role of this.#deps.clusterRoles.list())
      if (role.aggregationRule !== undefined && role.metadata.name) yield role.metadata.name;
  }

  protected async reconcile(name: string): Promise<void> {
    const role = this.#deps.clusterRoles.get(undefined, name);
    if (role?.aggregationRule === undefined) return;
    const rules = aggregatedRules(role, this.#deps.clusterRoles.list());
    if (jsonEqual(rules, role.rules ?? [])) return;
    // Carries the cached resourceVersion: a concurrent write makes this a conflict, retried from the
    // cache once its event has arrived.
    await this.#deps.api.update<ClusterRole>(CLUSTER_ROLE, { ...role, rules });
    this.#deps.logger.info({ clusterRole: name, rules: rules.length }, 'aggregated ClusterRole rules');
  }
}

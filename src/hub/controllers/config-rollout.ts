/**
 * Opt-in rollout on config change (issue 15; Stakater Reloader's behaviour, built in). A Deployment
 * annotated `edgeplane.io/rollout-on-config-change: "true"` rolls when a ConfigMap or Secret its pod
 * template references (volumes, env, envFrom, imagePullSecrets) changes: the controller stamps
 * `edgeplane.io/config-hash` on the template, which the Deployment controller sees as a new template.
 *
 * The hash covers each referenced object's uid and resourceVersion (or its absence), never its data:
 * a hash of a Secret's value in an annotation could be guessed back for a short value. The hash the
 * controller last saw is kept in the Deployment's own metadata (`edgeplane.io/config-hash-observed`),
 * so opting in, or creating an opted-in Deployment, records the current state without a rollout; only
 * a later change rolls. Deployments are indexed by what they reference: a change touches its own.
 */
import { createHash } from 'node:crypto';
import type { ConfigMap, Deployment, KubeObject, Logger, Secret } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import { configKey, podConfigRefs } from '../config/index.js';
import type { Informer } from '../informers/index.js';
import { Controller } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { Clock } from '../../api/index.js';

/** The Deployment annotation that opts in. */
export const ROLLOUT_ON_CONFIG_CHANGE = 'edgeplane.io/rollout-on-config-change';
/** The pod-template annotation whose change rolls the Deployment. */
export const CONFIG_HASH_ANNOTATION = 'edgeplane.io/config-hash';
/** The Deployment annotation holding the hash last observed. */
export const CONFIG_HASH_OBSERVED = 'edgeplane.io/config-hash-observed';

const DEPLOYMENT = typeByKind('apps/v1', 'Deployment');

export interface ConfigRolloutDeps {
  api: ObjectAPI;
  deployments: Informer<Deployment>;
  configMaps: Informer<ConfigMap>;
  secrets: Informer<Secret>;
  clock: Clock;
  logger: Logger;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`;
const optedIn = (d: Deployment): boolean => d.metadata.annotations?.[ROLLOUT_ON_CONFIG_CHANGE] === 'true';

/** Rolls opted-in Deployments when what their template references changes. */
export class ConfigRolloutController extends Controller {
  /** Config key → keys of opted-in Deployments referencing it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** Deployment key → the config keys it is indexed under. */
  private readonly indexed = new Map<string, string[]>();

  constructor(private readonly deps: ConfigRolloutDeps) {
    super({ name: 'config-rollout', logger: deps.logger, clock: deps.clock });
    deps.deployments.addHandler({
      onAdd: (d) => this.index(d),
      onUpdate: (_o, d) => this.index(d),
      onDelete: (d) => this.unindex(keyOf(d)),
    });
    const changed = (kind: 'ConfigMap' | 'Secret') => (o: KubeObject) => {
      for (const k of this.dependents.get(configKey(kind, o.metadata.namespace ?? 'default', o.metadata.name ?? '')) ??
        [])
        this.queue.add(k);
    };
    for (const [kind, informer] of [
      ['ConfigMap', deps.configMaps],
      ['Secret', deps.secrets],
    ] as const) {
      const on = changed(kind);
      (informer as Informer<KubeObject>).addHandler({ onAdd: on, onUpdate: (_o, n) => on(n), onDelete: on });
    }
  }

  protected initialKeys(): Iterable<string> {
    return this.indexed.keys();
  }

  private index(d: Deployment): void {
    const key = keyOf(d);
    this.unindex(key);
    if (!optedIn(d)) return;
    const ns = d.metadata.namespace ?? 'default';
    const keys = podConfigRefs(d.spec.template.spec).map((r) => configKey(r.kind, ns, r.name));
    this.indexed.set(key, keys);
    for (const k of keys) {
      let set = this.dependents.get(k);
      if (!set) this.dependents.set(k, (set = new Set()));
      set.add(key);
    }
    this.queue.add(key);
  }

  private unindex(key: string): void {
    for (const k of this.indexed.get(key) ?? []) {
      const set = this.dependents.get(k);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(k);
    }
    this.indexed.delete(key);
  }

  /** The hash of what `d`'s template references: kinds, names, uids and resourceVersions. */
  private hashOf(d: Deployment): string {
    const ns = d.metadata.namespace ?? 'default';
    const parts = podConfigRefs(d.spec.template.spec).map((r) => {
      const o = r.kind === 'ConfigMap' ? this.deps.configMaps.get(ns, r.name) : this.deps.secrets.get(ns, r.name);
      return `${r.kind}/${r.name}=${o ? `${o.metadata.uid ?? ''}@${o.metadata.resourceVersion ?? ''}` : '-'}`;
    });
    return createHash('sha256').update(parts.sort().join('\n')).digest('hex').slice(0, 16);
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const d = this.deps.deployments.get(ns, name);
    if (!d || !optedIn(d) || !DEPLOYMENT || d.metadata.deletionTimestamp) return;
    const hash = this.hashOf(d);
    const observed = d.metadata.annotations?.[CONFIG_HASH_OBSERVED];
    if (observed === hash) return;
    const next: Deployment = {
      ...d,
      metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [CONFIG_HASH_OBSERVED]: hash } },
    };
    // The first observation only records; a later change stamps the template, which rolls.
    if (observed !== undefined) {
      const tpl = d.spec.template;
      const annotations = { ...tpl.metadata?.annotations, [CONFIG_HASH_ANNOTATION]: hash };
      next.spec = { ...d.spec, template: { ...tpl, metadata: { ...tpl.metadata, annotations } } };
      this.deps.logger.info({ deployment: key }, 'a referenced ConfigMap/Secret changed: rolling the Deployment');
    }
    await this.deps.api.update(DEPLOYMENT, next);
  }
}

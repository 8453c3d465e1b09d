/**
 * The DaemonSet controller: one pod on every node that matches the template's nodeSelector, offers its
 * runtime and tolerates its taints — also nodes that join later. Pods are bound to their node at
 * creation (as the DaemonSet controller did before scheduling moved to the scheduler). A changed
 * template rolls over node by node within `maxUnavailable`.
 */
import type { Clock, DaemonSet, Logger, Node, Pod, Toleration } from '../../api/index.js';
import { defaultRuntimeClass, errorMessage, isPodReady, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { BY_CONTROLLER_UID, controllerUid, objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import { TEMPLATE_HASH_LABEL, templateHash } from './rollout.js';
import {
  BurstLimit,
  Controller,
  deleteAndObserve,
  jsonEqual,
  throwIfFailed,
  writeAll,
  writeStatus,
} from '../reconcile/index.js';
import { tolerates } from '../scheduler/index.js';
import { podFromTemplate } from './pod-template.js';
import { isPodActive, isPodAvailable } from './util.js';

const POD = typeByKind('v1', 'Pod')!;
const DS = typeByKind('apps/v1', 'DaemonSet')!;

/** Most pod creations, and most deletions, one reconcile issues (Kubernetes' DaemonSet controller: 250). */
const BURST = 250;

/** Tolerations every DaemonSet pod gets, as Kubernetes adds them: daemons stay through node trouble. */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export interface DaemonSetControllerDeps {
  api: ObjectAPI;
  daemonSets: Informer<DaemonSet>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
}

/** Whether `ds` should have a pod on `node`. */
export function shouldRunOn(ds: DaemonSet, node: Node): boolean {
  const spec = ds.spec.template.spec;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const runtime = defaultRuntimeClass(spec);
  if (!(node.status?.runtimeHandlers ?? []).some((h) => h.name === runtime)) return false;
  const tolerations = [...(spec.tolerations ?? []), ...DAEMON_TOLERATIONS];
  return (node.spec?.taints ?? []).every((t) => t.effect === 'PreferNoSchedule' || tolerates(tolerations, t));
}

/** Runs one pod of each DaemonSet on every node that should run it. */
export class DaemonSetController extends Controller {
  /**
   * Changes of what decides where daemons run (a node added or deleted, or its labels, spec or runtimes
   * changed): the nodes each DaemonSet wants are kept until the next one or a new generation of it.
   */
  private nodesVersion = 0;
  private readonly bursts = new BurstLimit(BURST);
  private readonly wantedNodes = new Map<
    string,
    { uid: string; generation: number; nodes: number; wanted: Set<string> }
  >();

  constructor(private readonly deps: DaemonSetControllerDeps) {
    super({ name: 'daemonset', logger: deps.logger, clock: deps.clock });
    this.enqueueFrom(deps.daemonSets);
    // A DaemonSet deleted with no pods left brings no reconcile: its kept state goes here.
    deps.daemonSets.addHandler({
      onDelete: (ds) => {
        this.wantedNodes.delete(objectKey(ds));
        this.bursts.forget(objectKey(ds));
      },
    });
    this.enqueueOwnerOf(deps.pods, 'DaemonSet');
    deps.pods.addIndex(BY_CONTROLLER_UID, controllerUid);
    const all = (): void => {
      this.nodesVersion++;
      this.start();
    };
    deps.nodes.addHandler({
      onAdd: all,
      onUpdate: (o, n) =>
        jsonEqual(
          [o.metadata.labels, o.spec, o.status?.runtimeHandlers],
          [n.metadata.labels, n.spec, n.status?.runtimeHandlers],
        )
          ? undefined
          : all(),
      onDelete: all,
    });
  }

  /** Every DaemonSet. */
  protected initialKeys(): string[] {
    return this.deps.daemonSets.list().map(objectKey);
  }

  /** Pods `ds` controls (owner index: O(its pods)). */
  private ownedPods(ds: DaemonSet): Pod[] {
    return this.deps.pods
      .byIndex(BY_CONTROLLER_UID, ds.metadata.uid ?? '')
      .filter((p) => p.metadata.namespace === ds.metadata.namespace);
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ds = this.deps.daemonSets.get(namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) {
      this.wantedNodes.delete(key);
      this.bursts.forget(key);
      return;
    }
    const hash = templateHash(ds.spec.template);
    const owned = this.ownedPods(ds);
    const byNode = new Map<string, Pod[]>();
    for (const p of owned.filter(isPodActive)) {
      const n = p.spec.nodeName ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const wanted = this.wanted(key, ds);
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    for (const node of wanted) {
      const pods = byNode.get(node) ?? [];
      if (pods.length === 0) toCreate.push(node);
      // More than one (a race, or a node that came back): keep the newest.
      for (const extra of pods.slice(0, -1)) toDelete.push(extra);
    }
    for (const [node, pods] of byNode) if (!wanted.has(node)) toDelete.push(...pods);
    // Rolling update: replace pods of an old template while at most maxUnavailable are not available.
    const now = this.deps.clock.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const maxUnavailable = resolveMaxUnavailable(ds, wanted.size);
      const current = [...wanted].map((n) => (byNode.get(n) ?? []).at(-1)).filter((p): p is Pod => p !== undefined);
      let unavailable = wanted.size - current.filter((p) => isPodAvailable(p, minReady, now)).length;
      const old = current
        .filter((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] !== hash)
        .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)));
      for (const p of old) {
        const alreadyUnavailable = !isPodAvailable(p, minReady, now);
        if (!alreadyUnavailable && unavailable >= maxUnavailable) break;
        toDelete.push(p);
        if (!alreadyUnavailable) unavailable++;
      }
    }
    // A burst at a time, each write of it at once (one after another, 10,000 nodes waited out 10,000
    // commits in turn); the pods written bring this DaemonSet back for the rest.
    const [notCreated, notDeleted] = await Promise.all([
      writeAll(toCreate.slice(0, this.bursts.size(key)), (node) => this.createPod(ds, node, hash)),
      writeAll(toDelete.slice(0, BURST), (pod) => this.deletePod(ds, pod)),
    ]);
    this.bursts.record(key, notCreated.length);
    throwIfFailed([...notCreated, ...notDeleted], `pod write(s) for DaemonSet ${key}`);
    await this.syncStatus(ds, hash, wanted, now);
  }

  /**
   * The nodes `ds` should run on: worked out again only when the nodes or the DaemonSet changed (every
   * pod of the DaemonSet brings it back: at 10,000 nodes, working it out each time was half of what its
   * reconciles cost, profiled).
   */
  private wanted(key: string, ds: DaemonSet): Set<string> {
    const uid = ds.metadata.uid ?? '';
    const generation = ds.metadata.generation ?? 1;
    const kept = this.wantedNodes.get(key);
    if (kept && kept.uid === uid && kept.generation === generation && kept.nodes === this.nodesVersion)
      return kept.wanted;
    const nodes = this.nodesVersion;
    const wanted = new Set(
      this.deps.nodes
        .list()
        .filter((n) => shouldRunOn(ds, n))
        .map((n) => n.metadata.name ?? ''),
    );
    this.wantedNodes.set(key, { uid, generation, nodes, wanted });
    return wanted;
  }

  private async createPod(ds: DaemonSet, node: string, hash: string): Promise<void> {
    const tpl = ds.spec.template;
    const pod = podFromTemplate(ds, tpl, {
      labels: { [TEMPLATE_HASH_LABEL]: hash },
      spec: { nodeName: node, tolerations: [...(tpl.spec.tolerations ?? []), ...DAEMON_TOLERATIONS] },
    });
    try {
      const created = await this.deps.api.create<Pod>(POD, pod);
      this.deps.pods.observe(created);
      this.deps.events.normal(ds, 'SuccessfulCreate', `Created pod: ${created.metadata.name} on node ${node}`);
    } catch (err) {
      this.deps.events.warning(ds, 'FailedCreate', `Error creating pod on node ${node}: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async deletePod(ds: DaemonSet, pod: Pod): Promise<void> {
    try {
      if (await deleteAndObserve(this.deps.api, POD, this.deps.pods, pod))
        this.deps.events.normal(ds, 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      this.deps.events.warning(ds, 'FailedDelete', `Error deleting pod ${pod.metadata.name}: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async syncStatus(ds: DaemonSet, hash: string, wanted: Set<string>, now: number): Promise<void> {
    const active = this.ownedPods(ds).filter(isPodActive);
    const onWanted = active.filter((p) => wanted.has(p.spec.nodeName ?? ''));
    const available = onWanted.filter((p) => isPodAvailable(p, ds.spec.minReadySeconds ?? 0, now)).length;
    const status = {
      desiredNumberScheduled: wanted.size,
      currentNumberScheduled: new Set(onWanted.map((p) => p.spec.nodeName)).size,
      numberMisscheduled: active.length - onWanted.length,
      numberReady: onWanted.filter(isPodReady).length,
      updatedNumberScheduled: onWanted.filter((p) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash).length,
      numberAvailable: available,
      numberUnavailable: Math.max(0, wanted.size - available),
      observedGeneration: ds.metadata.generation ?? 1,
    };
    if (jsonEqual({ ...ds.status, conditions: undefined }, status)) return;
    await writeStatus(this.deps.api, DS, this.deps.daemonSets, { ...ds, status });
  }
}

function resolveMaxUnavailable(ds: DaemonSet, desired: number): number {
  const v = ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const n = typeof v === 'number' ? v : Math.floor((Number(v.slice(0, -1)) / 100) * desired);
  return Math.max(1, n);
}

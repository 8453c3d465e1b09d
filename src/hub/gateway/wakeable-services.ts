/**
 * Which Services a node holds requests for while they have no ready endpoint (scale from zero): those
 * that select the pods of a workload an HPA may take to zero (`minReplicas: 0` on the request-rate
 * metric). The flag rides on the Service's route (`ServiceRoute.scaleFromZero`), so a node holds and
 * wakes only for them; any other Service without a ready endpoint answers 503 at once.
 *
 * The flag follows whether the workload *may* be at zero, not whether it is now: a route that lost it
 * the moment a wake scaled the target to one would 503 the requests arriving during that cold start.
 *
 * Targets are read from the informers of the kinds a Service can be matched against by their pod
 * template: Deployments and ReplicaSets. An HPA, or a target's template labels, changing marks the
 * namespace's Services for a fresh route (the stream sends only those whose route changed).
 */
import {
  fromMatchLabels,
  matchesLabels,
  type Deployment,
  type HorizontalPodAutoscaler,
  type ReplicaSet,
  type Service,
} from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import { scalesToZero } from '../controllers/hpa/index.js';

/** The informers the flag is computed from. */
export interface WakeableSources {
  hpas: Informer<HorizontalPodAutoscaler>;
  deployments: Informer<Deployment>;
  replicaSets: Informer<ReplicaSet>;
}

type Templated = Deployment | ReplicaSet;
const templateLabels = (o: Templated | undefined): Record<string, string> | undefined =>
  o?.spec.template?.metadata?.labels;

/** Answers whether a Service is wakeable, and says when a namespace's answers may have changed. */
export class WakeableServices {
  constructor(
    private readonly src: WakeableSources,
    onNamespaceChanged: (namespace: string) => void,
  ) {
    const ns = (o: { metadata: { namespace?: string } }): void => onNamespaceChanged(o.metadata.namespace ?? 'default');
    // Status writes (every sync, every scale) change nothing here: only what the answer reads.
    const hpaChanged = (a: HorizontalPodAutoscaler, b: HorizontalPodAutoscaler): boolean =>
      scalesToZero(a) !== scalesToZero(b) || !jsonEqual(a.spec.scaleTargetRef, b.spec.scaleTargetRef);
    src.hpas.addHandler({ onAdd: ns, onUpdate: (a, b) => hpaChanged(a, b) && ns(b), onDelete: ns });
    // Only a workload such an HPA targets matters (ReplicaSets come and go with every rollout).
    const target = (o: Templated): void => void (this.#targeted(o) && ns(o));
    for (const inf of [src.deployments, src.replicaSets] as Array<Informer<Templated>>)
      inf.addHandler({
        onAdd: target,
        onUpdate: (a, b) => !jsonEqual(templateLabels(a), templateLabels(b)) && target(b),
        onDelete: target,
      });
  }

  /** Whether an HPA that may scale to zero targets `o`. */
  #targeted(o: Templated): boolean {
    const ns = o.metadata.namespace ?? 'default';
    return this.src.hpas
      .list((h) => h.metadata.namespace === ns && scalesToZero(h))
      .some((h) => h.spec.scaleTargetRef.kind === o.kind && h.spec.scaleTargetRef.name === o.metadata.name);
  }

  /** Whether `svc` selects the pods of a target an HPA may scale to zero. */
  has(svc: Service): boolean {
    const selector = svc.spec.selector;
    if (!selector || Object.keys(selector).length === 0) return false;
    const ns = svc.metadata.namespace ?? 'default';
    const sel = fromMatchLabels(selector);
    for (const hpa of this.src.hpas.list((h) => h.metadata.namespace === ns && scalesToZero(h))) {
      const labels = templateLabels(this.#target(ns, hpa.spec.scaleTargetRef));
      if (labels && matchesLabels(sel, labels)) return true;
    }
    return false;
  }

  #target(ns: string, ref: HorizontalPodAutoscaler['spec']['scaleTargetRef']): Templated | undefined {
    if (ref.apiVersion !== undefined && ref.apiVersion !== 'apps/v1') return undefined;
    if (ref.kind === 'Deployment') return this.src.deployments.get(ns, ref.name);
    if (ref.kind === 'ReplicaSet') return this.src.replicaSets.get(ns, ref.name);
    return undefined;
  }
}

/**
 * Flagger's `autoscalerRef`: the target's HorizontalPodAutoscaler (`autoscaling/v2`) keeps scaling the
 * target, which runs the canary; a copy named `<hpa>-primary` scales the primary, with the original's
 * spec (and `primaryScalerReplicas` over its bounds). It is made at initialization and brought back to
 * the original's spec at every promotion, as Flagger does; between promotions it is left alone. While
 * an HPA scales the primary, a promotion leaves the primary's replicas to it.
 */
import { NotFoundError, typeByKind, type Canary, type HorizontalPodAutoscaler } from '../../../api/index.js';
import { jsonEqual, ownerRefTo } from '../../reconcile/index.js';
import type { ObjectAPI } from '../../registry/index.js';
import { namesOf } from './objects.js';

const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;

/** The primary's HPA: `hpa`'s spec aimed at the primary, owned by the canary. */
export function primaryHpa(cd: Canary, hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const ref = cd.spec.autoscalerRef!;
  const bounds = ref.primaryScalerReplicas;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: `${ref.name}-primary`,
      namespace: cd.metadata.namespace ?? 'default',
      ownerReferences: [ownerRefTo(cd)],
    },
    spec: {
      ...hpa.spec,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: namesOf(cd).primary },
      ...(bounds?.minReplicas !== undefined ? { minReplicas: bounds.minReplicas } : {}),
      ...(bounds?.maxReplicas !== undefined ? { maxReplicas: bounds.maxReplicas } : {}),
    },
  };
}

/** Why the primary's HPA cannot be made (the target's HPA is missing): an event's message. */
export class AutoscalerRefError extends Error {}

/**
 * Creates the primary's HPA, or brings its spec back to the target HPA's; a no-op without
 * `autoscalerRef`. Throws {@link AutoscalerRefError} when the referenced HPA does not exist.
 */
export async function syncPrimaryHpa(api: ObjectAPI, cd: Canary): Promise<void> {
  const ref = cd.spec.autoscalerRef;
  if (!ref) return;
  const ns = cd.metadata.namespace ?? 'default';
  const source = await getOrUndefined(api, ns, ref.name);
  if (!source) throw new AutoscalerRefError(`HorizontalPodAutoscaler ${ref.name}.${ns} of autoscalerRef not found`);
  const want = primaryHpa(cd, source);
  const have = await getOrUndefined(api, ns, want.metadata.name ?? '');
  if (!have) return void (await api.create(HPA, want));
  if (jsonEqual(have.spec, want.spec)) return;
  await api.update(HPA, { ...have, spec: want.spec });
}

async function getOrUndefined(api: ObjectAPI, ns: string, name: string): Promise<HorizontalPodAutoscaler | undefined> {
  try {
    return await api.get<HorizontalPodAutoscaler>(HPA, ns, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * Scale from zero: a node holds a request for a Service with no ready endpoint and tells the hub
 * (`serviceWake`). Every `minReplicas: 0` HPA in that namespace whose target is at zero and whose
 * pods the Service selects is scaled to one replica at once, through the scale subresource's path.
 */
import {
  errorMessage,
  fromMatchLabels,
  matchesLabels,
  type HorizontalPodAutoscaler,
  type Logger,
  type Service,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import type { EventRecorder } from '../../reconcile/index.js';
import { updateScale, type ObjectAPI } from '../../registry/index.js';
import { scalesToZero } from './idle.js';
import { readTarget } from './target.js';

export interface WakeDeps {
  api: ObjectAPI;
  hpas: Informer<HorizontalPodAutoscaler>;
  services: Informer<Service>;
  events: EventRecorder;
  logger: Logger;
  /** HPA keys with a wake under way: repeated wake frames for one Service coalesce here. */
  inFlight: Set<string>;
}

/**
 * Scales the idle targets behind Service `ns/svc` to one replica; `beforeScale(key)` runs first (the
 * controller marks the HPA active, so a concurrent sync does not take it back to zero). Resolves with
 * the keys of the HPAs whose targets it scaled.
 */
export async function wakeTargets(
  deps: WakeDeps,
  ns: string,
  svc: string,
  beforeScale: (key: string) => void,
): Promise<string[]> {
  const service = deps.services.get(ns, svc);
  const selector = service?.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const sel = fromMatchLabels(selector);
  const busy = deps.inFlight;
  const woken: string[] = [];
  for (const hpa of deps.hpas.list((h) => h.metadata.namespace === ns && scalesToZero(h))) {
    const key = `${ns}/${hpa.metadata.name ?? ''}`;
    if (busy.has(key)) {
      deps.logger.debug({ hpa: key, service: svc }, 'scale from zero: a wake is already under way');
      continue;
    }
    busy.add(key);
    try {
      const target = await readTarget(deps.api, hpa);
      if (!matchesLabels(sel, target.podLabels)) continue;
      const replicas = target.scale.spec.replicas ?? 0;
      if (replicas !== 0) {
        deps.logger.debug({ hpa: key, service: svc, replicas }, 'scale from zero: target not at zero');
        continue;
      }
      beforeScale(key);
      await updateScale(deps.api, target.type, ns, hpa.spec.scaleTargetRef.name, { spec: { replicas: 1 } });
      // Trace point (debug): bench/hpa.ts lines the stages of a cold start up with it.
      deps.logger.debug({ hpa: key, service: svc }, 'scale from zero: target scaled to 1');
      deps.events.normal(
        hpa,
        'SuccessfulRescale',
        `New size: 1; reason: a request for Service ${svc} is waiting (scale from zero)`,
      );
      woken.push(key);
    } catch (err) {
      deps.logger.warn({ hpa: key, service: svc, err: errorMessage(err) }, 'could not wake the target of an HPA');
    } finally {
      busy.delete(key);
    }
  }
  return woken;
}

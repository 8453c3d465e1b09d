/** An HPA's scale target: its kind (anything with a `scale` subresource), its Scale, its pods. */
import {
  RESOURCE_TYPES,
  apiVersionOf,
  errorMessage,
  fromLabelSelector,
  matchesLabels,
  type HorizontalPodAutoscaler,
  type KubeObject,
  type LabelSelector,
  type Pod,
  type ResourceType,
  type Scale,
  type Selector,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import { toScale, type ObjectAPI } from '../../registry/index.js';
import { MetricError } from './replica-calculator.js';

/** A target as the controller reads it. */
export interface Target {
  type: ResourceType;
  object: KubeObject;
  scale: Scale;
  selector: Selector;
  /** The labels of the pods it creates (its template's), for matching Services on a wake. */
  podLabels: Record<string, string> | undefined;
}

interface Templated extends KubeObject {
  spec: { selector?: LabelSelector; template?: { metadata?: { labels?: Record<string, string> } } };
}

/** The kind `ref` names: by apiVersion when given, else the one kind of that name with a scale subresource. */
export function targetType(ref: HorizontalPodAutoscaler['spec']['scaleTargetRef']): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    (t) => t.kind === ref.kind && t.hasScale && (ref.apiVersion === undefined || apiVersionOf(t) === ref.apiVersion),
  );
}

/** Reads the target of `hpa` (throws MetricError `FailedGetScale` naming what is wrong). */
export async function readTarget(api: ObjectAPI, hpa: HorizontalPodAutoscaler): Promise<Target> {
  const ref = hpa.spec.scaleTargetRef;
  const type = targetType(ref);
  if (!type)
    throw new MetricError(
      'FailedGetScale',
      `no kind ${ref.apiVersion ?? ''}${ref.apiVersion ? '/' : ''}${ref.kind} with a scale subresource`,
    );
  let object: Templated;
  try {
    object = await api.get<Templated>(type, hpa.metadata.namespace, ref.name);
  } catch (err) {
    throw new MetricError('FailedGetScale', errorMessage(err));
  }
  const selector = fromLabelSelector(object.spec.selector);
  if (!selector || selector.length === 0)
    throw new MetricError('InvalidSelector', `the target ${type.plural}/${ref.name} has no selector`);
  return { type, object, scale: toScale(object), selector, podLabels: object.spec.template?.metadata?.labels };
}

/** Index of pods by namespace: an HPA's sync reads the pods of its namespace, not of the cluster. */
export const PODS_BY_NAMESPACE = 'hpa-namespace';

/** Adds {@link PODS_BY_NAMESPACE} to the pod informer (once). */
export function indexPodsByNamespace(pods: Informer<Pod>): void {
  pods.addIndex(PODS_BY_NAMESPACE, (p) => [p.metadata.namespace ?? 'default']);
}

/** The target's pods (in the HPA's namespace, matching its selector). */
export function targetPods(pods: Informer<Pod>, namespace: string, selector: Selector): Pod[] {
  return pods.byIndex(PODS_BY_NAMESPACE, namespace).filter((p) => matchesLabels(selector, p.metadata.labels));
}

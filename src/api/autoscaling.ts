/**
 * autoscaling/v2 HorizontalPodAutoscaler: Kubernetes' shape, the supported subset of its metric
 * sources (`Resource`, `ContainerResource`, `Pods`), its `behavior` and its status.
 *
 * Beyond Kubernetes: `minReplicas: 0` is accepted without a feature gate (Kubernetes needs
 * `HPAScaleToZero` and an Object or External metric), when the HPA has the Pods metric
 * `http_requests_per_second` — request traffic is what wakes a workload at zero. The idle window
 * before it goes to zero is the annotation {@link SCALE_TO_ZERO_IDLE_ANNOTATION}.
 */
import { z } from 'zod';
import { DnsSubdomain, LabelSelector, objectShape } from './meta.js';
import { Quantity } from './quantity.js';

/** HPA annotation: seconds of zero requests before a `minReplicas: 0` target goes to zero (default 300). */
export const SCALE_TO_ZERO_IDLE_ANNOTATION = 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds';
/** Default of {@link SCALE_TO_ZERO_IDLE_ANNOTATION}. */
export const DEFAULT_SCALE_TO_ZERO_IDLE_SECONDS = 300;

const Int32 = z
  .number()
  .int()
  .max(2 ** 31 - 1);

/** What the HPA scales: an object with a `scale` subresource. */
export const CrossVersionObjectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().min(1, { message: 'Required value' }),
  name: DnsSubdomain,
});

/** The supported resource names of Resource and ContainerResource metrics. */
export const MetricResourceName = z.enum(['cpu', 'memory']);

export const MetricTarget = z.strictObject({
  type: z.enum(['Utilization', 'Value', 'AverageValue']),
  value: Quantity.optional(),
  averageValue: Quantity.optional(),
  averageUtilization: Int32.optional(),
});
export type MetricTarget = z.infer<typeof MetricTarget>;

export const ResourceMetricSource = z.strictObject({ name: MetricResourceName, target: MetricTarget });
export const ContainerResourceMetricSource = z.strictObject({
  name: MetricResourceName,
  container: z.string().min(1),
  target: MetricTarget,
});
export const MetricIdentifier = z.strictObject({ name: z.string().min(1), selector: LabelSelector.optional() });
export const PodsMetricSource = z.strictObject({ metric: MetricIdentifier, target: MetricTarget });

/** One metric; `Object` and `External` sources are not supported (refused by the enum, path named). */
export const MetricSpec = z.strictObject({
  type: z.enum(['Resource', 'ContainerResource', 'Pods']),
  resource: ResourceMetricSource.optional(),
  containerResource: ContainerResourceMetricSource.optional(),
  pods: PodsMetricSource.optional(),
});
export type MetricSpec = z.infer<typeof MetricSpec>;

export const HPAScalingPolicy = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: Int32,
  periodSeconds: Int32,
});
export type HPAScalingPolicy = z.infer<typeof HPAScalingPolicy>;

export const HPAScalingRules = z.strictObject({
  stabilizationWindowSeconds: Int32.optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(HPAScalingPolicy).max(64).optional(),
});
export type HPAScalingRules = z.infer<typeof HPAScalingRules>;

export const HorizontalPodAutoscalerBehavior = z.strictObject({
  scaleUp: HPAScalingRules.optional(),
  scaleDown: HPAScalingRules.optional(),
});
export type HorizontalPodAutoscalerBehavior = z.infer<typeof HorizontalPodAutoscalerBehavior>;

export const HorizontalPodAutoscalerSpec = z.strictObject({
  scaleTargetRef: CrossVersionObjectReference,
  minReplicas: Int32.optional(),
  maxReplicas: Int32,
  metrics: z.array(MetricSpec).max(32).optional(),
  behavior: HorizontalPodAutoscalerBehavior.optional(),
});
export type HorizontalPodAutoscalerSpec = z.infer<typeof HorizontalPodAutoscalerSpec>;

export const MetricValueStatus = z.strictObject({
  value: Quantity.optional(),
  averageValue: Quantity.optional(),
  averageUtilization: Int32.optional(),
});
export type MetricValueStatus = z.infer<typeof MetricValueStatus>;

export const MetricStatus = z.strictObject({
  type: z.enum(['Resource', 'ContainerResource', 'Pods']),
  resource: z.strictObject({ name: MetricResourceName, current: MetricValueStatus }).optional(),
  containerResource: z
    .strictObject({ name: MetricResourceName, container: z.string(), current: MetricValueStatus })
    .optional(),
  pods: z.strictObject({ metric: MetricIdentifier, current: MetricValueStatus }).optional(),
});
export type MetricStatus = z.infer<typeof MetricStatus>;

export const HorizontalPodAutoscalerCondition = z.strictObject({
  type: z.enum(['AbleToScale', 'ScalingActive', 'ScalingLimited']),
  status: z.enum(['True', 'False', 'Unknown']),
  lastTransitionTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type HorizontalPodAutoscalerCondition = z.infer<typeof HorizontalPodAutoscalerCondition>;

export const HorizontalPodAutoscalerStatus = z.strictObject({
  observedGeneration: z.number().int().optional(),
  lastScaleTime: z.string().optional(),
  currentReplicas: Int32.min(0).optional(),
  desiredReplicas: Int32.min(0),
  currentMetrics: z.array(MetricStatus).optional(),
  conditions: z.array(HorizontalPodAutoscalerCondition).optional(),
});
export type HorizontalPodAutoscalerStatus = z.infer<typeof HorizontalPodAutoscalerStatus>;

export const HorizontalPodAutoscaler = z.strictObject({
  ...objectShape('autoscaling/v2', 'HorizontalPodAutoscaler'),
  spec: HorizontalPodAutoscalerSpec,
  status: HorizontalPodAutoscalerStatus.optional(),
});
export type HorizontalPodAutoscaler = z.infer<typeof HorizontalPodAutoscaler>;

/** Kubernetes' default scale-up rules: no stabilization, +4 pods or +100% per 15 s, the larger. */
export const DEFAULT_SCALE_UP: Required<HPAScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

/** Kubernetes' default scale-down rules: 300 s stabilization, −100% per 15 s. */
export const DEFAULT_SCALE_DOWN: Required<HPAScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** `rules` with every unset field taken from `defaults` (Kubernetes' GenerateHPAScale{Up,Down}Rules). */
export function scalingRulesWithDefaults(
  rules: HPAScalingRules | undefined,
  defaults: Required<HPAScalingRules>,
): Required<HPAScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies ?? defaults.policies.map((p) => ({ ...p })),
  };
}

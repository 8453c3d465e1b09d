/**
 * autoscaling/v2 HorizontalPodAutoscaler: Kubernetes' defaults (minReplicas 1, a CPU 80% metric when
 * none is given, every unset behavior field filled in when `behavior` is given) and its validation,
 * with the messages of `pkg/apis/autoscaling/validation`. `minReplicas: 0` is allowed with the
 * request-rate Pods metric (scale to zero; see src/api/autoscaling.ts).
 */
import {
  DEFAULT_SCALE_DOWN,
  DEFAULT_SCALE_UP,
  SCALE_TO_ZERO_IDLE_ANNOTATION,
  parseQuantity,
  scalingRulesWithDefaults,
  type FieldCause,
  type HorizontalPodAutoscaler,
  type HPAScalingRules,
  type KubeObject,
  type MetricSpec,
  type MetricTarget,
} from '../../../api/index.js';
import { REQUESTS_PER_SECOND_METRIC } from '../../metrics/usage-source.js';
import type { KindRules } from './strategy.js';

const MAX_STABILIZATION_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;

const invalid = (field: string, value: unknown, message: string): FieldCause => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
  reason: 'FieldValueInvalid',
});
const required = (field: string, message: string): FieldCause => ({
  field,
  message: `Required value: ${message}`,
  reason: 'FieldValueRequired',
});
const forbidden = (field: string, message: string): FieldCause => ({
  field,
  message: `Forbidden: ${message}`,
  reason: 'FieldValueForbidden',
});

function targetCauses(t: MetricTarget, path: string, allowUtilization: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const positive = (field: 'value' | 'averageValue'): void => {
    const v = t[field];
    if (v !== undefined && !((parseQuantity(v) ?? 0) > 0))
      causes.push(invalid(`${path}.${field}`, v, 'must be positive'));
  };
  positive('value');
  positive('averageValue');
  if (t.averageUtilization !== undefined && t.averageUtilization < 1)
    causes.push(invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  if (t.type === 'Utilization') {
    if (!allowUtilization) causes.push(invalid(`${path}.type`, t.type, 'must be AverageValue for a Pods metric'));
    else if (t.averageUtilization === undefined)
      causes.push(required(`${path}.averageUtilization`, 'must set either a target raw value or a target utilization'));
  } else if (t.type === 'AverageValue') {
    if (t.averageValue === undefined)
      causes.push(required(`${path}.averageValue`, 'must set either a target raw value or a target utilization'));
  } else {
    // `Value` is for Object and External metrics, which Edgeplane does not support.
    causes.push(invalid(`${path}.type`, t.type, 'must be Utilization or AverageValue for this metric source'));
  }
  return causes;
}

const SOURCE_FIELD = { Resource: 'resource', ContainerResource: 'containerResource', Pods: 'pods' } as const;

function metricCauses(m: MetricSpec, path: string): FieldCause[] {
  const own = SOURCE_FIELD[m.type];
  const causes: FieldCause[] = [];
  for (const f of Object.values(SOURCE_FIELD))
    if (f !== own && m[f] !== undefined)
      causes.push(forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  const src = m[own];
  if (src === undefined)
    return [...causes, required(`${path}.${own}`, 'must populate information for the given metric source')];
  if (m.type === 'Pods' && m.pods) {
    if (m.pods.metric.name !== REQUESTS_PER_SECOND_METRIC)
      causes.push(
        invalid(
          `${path}.pods.metric.name`,
          m.pods.metric.name,
          `must be ${REQUESTS_PER_SECOND_METRIC}, the Pods metric the hub serves`,
        ),
      );
    if (m.pods.metric.selector !== undefined)
      causes.push(forbidden(`${path}.pods.metric.selector`, 'metric selectors are not supported'));
  }
  return [...causes, ...targetCauses(src.target, `${path}.${own}.target`, m.type !== 'Pods')];
}

function rulesCauses(r: HPAScalingRules | undefined, path: string): FieldCause[] {
  if (!r) return [];
  const causes: FieldCause[] = [];
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && w < 0)
    causes.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w !== undefined && w > MAX_STABILIZATION_SECONDS)
    causes.push(
      invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_SECONDS}`),
    );
  if (r.selectPolicy !== 'Disabled' && (r.policies ?? []).length === 0)
    causes.push(required(`${path}.policies`, 'must specify at least one Policy'));
  (r.policies ?? []).forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (p.periodSeconds <= 0) causes.push(invalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    if (p.periodSeconds > MAX_PERIOD_SECONDS)
      causes.push(
        invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`),
      );
    if (p.value <= 0) causes.push(invalid(`${pp}.value`, p.value, 'must be greater than zero'));
  });
  return causes;
}

/** The field causes of an HPA (after defaulting). */
export function hpaCauses(hpa: HorizontalPodAutoscaler): FieldCause[] {
  const { spec } = hpa;
  const causes: FieldCause[] = [];
  if (spec.scaleTargetRef.kind === '') causes.push(required('spec.scaleTargetRef.kind', ''));
  const min = spec.minReplicas ?? 1;
  const metrics = spec.metrics ?? [];
  const hasRequestRate = metrics.some((m) => m.type === 'Pods' && m.pods?.metric.name === REQUESTS_PER_SECOND_METRIC);
  if (min < 0 || (min === 0 && !hasRequestRate))
    causes.push(
      invalid(
        'spec.minReplicas',
        min,
        `must be greater than or equal to 1 (0, scale to zero, needs the Pods metric ${REQUESTS_PER_SECOND_METRIC})`,
      ),
    );
  if (spec.maxReplicas < 1)
    causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to 1'));
  else if (spec.maxReplicas < min)
    causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  metrics.forEach((m, i) => causes.push(...metricCauses(m, `spec.metrics[${i}]`)));
  causes.push(...rulesCauses(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  causes.push(...rulesCauses(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  const idle = hpa.metadata.annotations?.[SCALE_TO_ZERO_IDLE_ANNOTATION];
  if (idle !== undefined && !/^[0-9]{1,7}$/.test(idle))
    causes.push(
      invalid(`metadata.annotations[${SCALE_TO_ZERO_IDLE_ANNOTATION}]`, idle, 'must be a whole number of seconds'),
    );
  return causes;
}

/** `obj` with Kubernetes' defaults (SetDefaults_HorizontalPodAutoscaler). */
function withDefaults(obj: KubeObject): KubeObject {
  const hpa = obj as HorizontalPodAutoscaler;
  if (!hpa.spec) return obj;
  const spec = { ...hpa.spec, minReplicas: hpa.spec.minReplicas ?? 1 };
  if (!spec.metrics || spec.metrics.length === 0)
    spec.metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ];
  if (spec.behavior)
    spec.behavior = {
      scaleUp: scalingRulesWithDefaults(spec.behavior.scaleUp, DEFAULT_SCALE_UP),
      scaleDown: scalingRulesWithDefaults(spec.behavior.scaleDown, DEFAULT_SCALE_DOWN),
    };
  return { ...hpa, spec };
}

/** The rules of `autoscaling/v2 HorizontalPodAutoscaler` (validated as defaulted, as Kubernetes does). */
export const hpaStrategy: KindRules = {
  applyDefaults: withDefaults,
  validate: (obj) => hpaCauses(withDefaults(obj) as HorizontalPodAutoscaler),
  statusOnCreate: () => ({ currentReplicas: 0, desiredReplicas: 0 }),
};

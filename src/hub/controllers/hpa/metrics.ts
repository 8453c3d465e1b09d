/**
 * Each metric of an HPA turned into a proposed replica count and a `currentMetrics` entry, from the
 * hub's usage intake (`UsageSource`) and the target's pods; several metrics → the largest proposal,
 * as Kubernetes' `computeReplicasForMetrics` (an invalid metric blocks a scale down, not a scale up).
 */
import {
  cpuMillis,
  memoryBytes,
  parseQuantity,
  type HorizontalPodAutoscaler,
  type MetricSpec,
  type MetricStatus,
  type Pod,
} from '../../../api/index.js';
import { REQUESTS_PER_SECOND_METRIC, type PodUsageSample, type UsageSource } from '../../metrics/usage-source.js';
import {
  averageValueReplicas,
  MetricError,
  utilizationReplicas,
  type CalcInput,
  type PodSample,
  type Proposal,
} from './replica-calculator.js';

/** The outcome over every metric. */
export interface MetricsOutcome {
  /** The largest proposal, or undefined when no metric gave one (then `error` says why). */
  replicas: number | undefined;
  /** The metric behind `replicas` (`cpu resource utilization (percentage of request)`). */
  metricName: string;
  statuses: MetricStatus[];
  /** The first failing metric: event/condition reason and message. */
  error?: { reason: string; message: string };
  /** How many metrics failed. */
  invalid: number;
}

type ResourceName = 'cpu' | 'memory';

const usageOf = (s: PodUsageSample, resource: ResourceName, container?: string): number | undefined => {
  let sum = 0;
  let seen = false;
  for (const c of s.containers) {
    if (container !== undefined && c.name !== container) continue;
    seen = true;
    sum += resource === 'cpu' ? c.cpuNanoCores / 1e6 : c.memoryBytes;
  }
  return seen ? sum : undefined;
};

/** The pods' requests of `resource` (millicores or bytes); throws naming the first container without one. */
function requestsOf(pods: readonly Pod[], resource: ResourceName, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec.containers) {
      if (container !== undefined && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined)
        throw new MetricError(
          'FailedGetResourceMetric',
          `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name ?? ''}`,
        );
      sum += resource === 'cpu' ? cpuMillis(q) : memoryBytes(q);
    }
    out.set(pod.metadata.name ?? '', sum);
  }
  return out;
}

/** A value as a quantity string: millis for fractions (`250m`), else whole units. */
export function formatMetricValue(v: number, resource?: ResourceName): string {
  if (resource === 'cpu') return `${Math.round(v)}m`;
  if (resource === 'memory') return String(Math.round(v));
  return Number.isInteger(v) ? String(v) : `${Math.round(v * 1000)}m`;
}

/** The reading of one metric spec: how to sample a pod and how the status names it. */
interface Reader {
  name: string;
  reason: string;
  cpu: boolean;
  sample: (s: PodUsageSample) => number | undefined;
  resource?: ResourceName;
  container?: string;
}

function readerOf(m: MetricSpec): Reader {
  if (m.type === 'Pods')
    return {
      name: `pods metric ${m.pods?.metric.name ?? ''}`,
      reason: 'FailedGetPodsMetric',
      cpu: false,
      sample: (s) => s.requestsPerSecond,
    };
  const src = m.type === 'Resource' ? m.resource : m.containerResource;
  const resource = src?.name ?? 'cpu';
  const container = m.type === 'ContainerResource' ? m.containerResource?.container : undefined;
  const kind = m.type === 'Resource' ? 'resource' : 'container resource';
  const utilization = src?.target.type === 'Utilization' ? ' utilization (percentage of request)' : '';
  return {
    name: `${resource} ${kind}${utilization}`,
    reason: m.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric',
    cpu: resource === 'cpu',
    sample: (s) => usageOf(s, resource, container),
    resource,
    ...(container !== undefined ? { container } : {}),
  };
}

function statusOf(m: MetricSpec, p: Proposal, r: Reader): MetricStatus {
  const current = {
    averageValue: formatMetricValue(p.averageValue, r.resource),
    ...(p.utilization !== undefined ? { averageUtilization: p.utilization } : {}),
  };
  if (m.type === 'Pods') return { type: 'Pods', pods: { metric: { name: m.pods?.metric.name ?? '' }, current } };
  if (m.type === 'Resource') return { type: 'Resource', resource: { name: r.resource ?? 'cpu', current } };
  return {
    type: 'ContainerResource',
    containerResource: { name: r.resource ?? 'cpu', container: r.container ?? '', current },
  };
}

/** One metric's proposal (throws MetricError). */
function propose(
  m: MetricSpec,
  r: Reader,
  base: Omit<CalcInput, 'samples' | 'cpu'>,
  usage: UsageSource | undefined,
  ns: string,
): Proposal {
  if (!usage) throw new MetricError(r.reason, 'unable to get metrics: the hub has no usage source');
  const samples = new Map<string, PodSample>();
  for (const pod of base.pods) {
    const s = usage.pod(ns, pod.metadata.name ?? '');
    if (!s || s.uid !== pod.metadata.uid) continue;
    const value = r.sample(s);
    if (value === undefined) continue;
    samples.set(pod.metadata.name ?? '', {
      value,
      timestampMs: Date.parse(s.timestamp),
      windowMs: s.windowSeconds * 1000,
    });
  }
  const input: CalcInput = { ...base, samples, cpu: r.cpu };
  const src = m.type === 'Pods' ? m.pods : m.type === 'Resource' ? m.resource : m.containerResource;
  const target = src?.target;
  if (target?.type === 'Utilization' && r.resource) {
    const requests = requestsOf(base.pods, r.resource, r.container);
    return utilizationReplicas(input, requests, target.averageUtilization ?? 80);
  }
  const raw = parseQuantity(target?.averageValue ?? '') ?? 0;
  // Quantities are in whole units; the samples of CPU are in millicores.
  return averageValueReplicas(input, r.resource === 'cpu' ? raw * 1000 : raw);
}

/** Every metric of `hpa` over `pods`, combined as Kubernetes does. */
export function computeReplicasForMetrics(
  hpa: HorizontalPodAutoscaler,
  pods: readonly Pod[],
  currentReplicas: number,
  usage: UsageSource | undefined,
  nowMs: number,
): MetricsOutcome {
  const ns = hpa.metadata.namespace ?? 'default';
  const out: MetricsOutcome = { replicas: undefined, metricName: '', statuses: [], invalid: 0 };
  const specs = hpa.spec.metrics ?? [];
  for (const m of specs) {
    const r = readerOf(m);
    try {
      const p = propose(m, r, { currentReplicas, pods, nowMs }, usage, ns);
      out.statuses.push(statusOf(m, p, r));
      if (out.replicas === undefined || p.replicas > out.replicas) {
        out.replicas = p.replicas;
        out.metricName = r.name;
      }
    } catch (err) {
      if (!(err instanceof MetricError)) throw err;
      out.invalid++;
      out.error ??= { reason: r.reason, message: `unable to get metric ${r.name}: ${err.message}` };
    }
  }
  // All invalid, or some invalid and the valid ones would scale down: no decision.
  if (out.invalid >= specs.length || (out.invalid > 0 && (out.replicas ?? 0) < currentReplicas))
    out.replicas = undefined;
  return out;
}

/** Whether the HPA has the request-rate Pods metric (what wakes a target at zero). */
export function hasRequestRateMetric(hpa: HorizontalPodAutoscaler): boolean {
  return (hpa.spec.metrics ?? []).some((m) => m.type === 'Pods' && m.pods?.metric.name === REQUESTS_PER_SECOND_METRIC);
}

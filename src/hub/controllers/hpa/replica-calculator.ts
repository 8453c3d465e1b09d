/**
 * The replica count a metric asks for, as Kubernetes' `replica_calculator.go`: the ratio of the
 * current to the target value times the ready pods, inside a tolerance of 0.1 no change; pods still
 * starting and pods without a sample are counted conservatively — a missing pod counts as at the
 * target (scale down) or as idle (scale up), an unready pod as idle when scaling up — and a result
 * that this conservatism would flip (down to up, or up to down) is dropped for the current count.
 */
import type { Pod } from '../../../api/index.js';

/** Kubernetes' default `--horizontal-pod-autoscaler-tolerance`. */
export const TOLERANCE = 0.1;
/** Kubernetes' `--horizontal-pod-autoscaler-cpu-initialization-period` (5 min). */
export const CPU_INITIALIZATION_PERIOD_MS = 300_000;
/** Kubernetes' `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s). */
export const INITIAL_READINESS_DELAY_MS = 30_000;

/** One pod's sample of the metric: the value and when its window ended and how long it was. */
export interface PodSample {
  value: number;
  timestampMs: number;
  windowMs: number;
}

/** The target pods split as the calculator counts them. */
export interface PodGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const podName = (p: Pod): string => p.metadata.name ?? '';

/**
 * Splits `pods` as `groupPods`: deleting or failed pods are ignored; pending pods are unready; pods
 * without a sample are missing; for CPU, a pod inside its initialization period counts as unready
 * while not Ready or while its sample still covers the time before it became Ready, and after it
 * as unready only when it has never been Ready.
 */
export function groupPods(
  pods: readonly Pod[],
  samples: ReadonlyMap<string, PodSample>,
  cpu: boolean,
  nowMs: number,
): PodGroups {
  const g: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = podName(pod);
    if (pod.metadata.deletionTimestamp !== undefined || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending' || pod.status?.phase === undefined) {
      g.unready.add(name);
      continue;
    }
    const sample = samples.get(name);
    if (!sample) {
      g.missing.add(name);
      continue;
    }
    if (cpu && cpuUnready(pod, sample, nowMs)) {
      g.unready.add(name);
      continue;
    }
    g.readyCount++;
  }
  return g;
}

function cpuUnready(pod: Pod, sample: PodSample, nowMs: number): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const start = pod.status?.startTime !== undefined ? Date.parse(pod.status.startTime) : NaN;
  if (!ready || Number.isNaN(start)) return true;
  const transition = ready.lastTransitionTime !== undefined ? Date.parse(ready.lastTransitionTime) : start;
  if (start + CPU_INITIALIZATION_PERIOD_MS > nowMs)
    return ready.status === 'False' || sample.timestampMs < transition + sample.windowMs;
  return ready.status === 'False' && start + INITIAL_READINESS_DELAY_MS > transition;
}

/** What one metric proposes. */
export interface Proposal {
  replicas: number;
  /** The average value per pod over the pods with samples (raw units). */
  averageValue: number;
  /** For utilization targets: the average usage as a whole percentage of the requests. */
  utilization?: number;
}

/** Inputs of a calculation: the pods, their samples, and the target. */
export interface CalcInput {
  currentReplicas: number;
  pods: readonly Pod[];
  samples: ReadonlyMap<string, PodSample>;
  nowMs: number;
  /** Whether the CPU readiness rules apply (CPU metrics only). */
  cpu: boolean;
}

/** Thrown when a metric yields no replica count; `reason` is the condition/event reason. */
export class MetricError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ratio rule over per-pod values: `ratioOf(values)` is current/target over the pods in `values`.
 * Shared by the utilization and the average-value calculations, which differ only in that ratio and
 * in the value a missing pod is assumed to have when scaling down (`atTarget(pod)`).
 */
function calculate(
  input: CalcInput,
  ratioOf: (values: ReadonlyMap<string, number>) => number,
  atTarget: (pod: string) => number,
): number {
  const { pods, samples, currentReplicas } = input;
  if (pods.length === 0)
    throw new MetricError('FailedGetPodsMetric', 'no pods returned by selector while calculating replica count');
  const g = groupPods(pods, samples, input.cpu, input.nowMs);
  const values = currentValues(input, g);
  if (values.size === 0)
    throw new MetricError('FailedGetPodsMetric', 'did not receive metrics for targeted pods (pods might be unready)');
  const ratio = ratioOf(values);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= TOLERANCE) return currentReplicas;
    return Math.ceil(ratio * g.readyCount);
  }
  for (const name of g.missing) values.set(name, ratio < 1 ? atTarget(name) : 0);
  if (scaleUpWithUnready) for (const name of g.unready) values.set(name, 0);
  const next = ratioOf(values);
  if (Math.abs(1 - next) <= TOLERANCE || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return currentReplicas;
  const replicas = Math.ceil(next * values.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}

const mean = (values: ReadonlyMap<string, number>): number => {
  let sum = 0;
  for (const v of values.values()) sum += v;
  return values.size === 0 ? 0 : sum / values.size;
};

/**
 * Replicas for a utilization target (`targetPercent` of the pods' requests, `requests` per pod in
 * the metric's units). Kubernetes truncates the utilization to a whole percentage before the ratio.
 */
export function utilizationReplicas(
  input: CalcInput,
  requests: ReadonlyMap<string, number>,
  targetPercent: number,
): Proposal {
  const utilizationOf = (values: ReadonlyMap<string, number>): number => {
    let used = 0;
    let requested = 0;
    for (const [name, v] of values) {
      const r = requests.get(name);
      if (r === undefined) continue;
      used += v;
      requested += r;
    }
    return requested > 0 ? Math.trunc((used * 100) / requested) : 0;
  };
  const fallbackPercent = Math.max(100, targetPercent);
  const replicas = calculate(
    input,
    (values) => utilizationOf(values) / targetPercent,
    (name) => ((requests.get(name) ?? 0) * fallbackPercent) / 100,
  );
  const current = currentValues(input);
  return { replicas, averageValue: mean(current), utilization: utilizationOf(current) };
}

/** Replicas for an average-value target (raw units per pod: millicores, bytes, requests per second). */
export function averageValueReplicas(input: CalcInput, target: number): Proposal {
  const replicas = calculate(
    input,
    (values) => mean(values) / target,
    () => target,
  );
  return { replicas, averageValue: mean(currentValues(input)) };
}

/** The samples of the counted pods (ready ones), as the status reports them. */
function currentValues(
  input: CalcInput,
  g: PodGroups = groupPods(input.pods, input.samples, input.cpu, input.nowMs),
): Map<string, number> {
  const values = new Map<string, number>();
  for (const p of input.pods) {
    const name = podName(p);
    const s = input.samples.get(name);
    if (s && !g.ignored.has(name) && !g.unready.has(name)) values.set(name, s.value);
  }
  return values;
}

/**
 * `get hpa` as kubectl prints it: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE. TARGETS is
 * `<current>/<target>` per metric (`45%/80%`, `3/10`, `<unknown>/80%` before the first sync); a
 * target scaled to zero by its HPA shows `0/10 (idle)`.
 */
import { cpuMillis, formatCpu, parseQuantity } from '../quantity-format.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../autoscaling.js';
import type { KubeObject } from '../meta.js';
import { age } from './age.js';

/** A quantity as kubectl shows a metric value (`250m`, `3`, `12Mi`). */
function quantity(v: string | number | undefined, resource?: string): string {
  if (v === undefined) return '<unknown>';
  if (resource === 'cpu') return formatCpu(cpuMillis(v));
  if (resource === 'memory') {
    const n = parseQuantity(v) ?? 0;
    return n >= 2 ** 20 ? `${Math.round(n / 2 ** 20)}Mi` : n >= 2 ** 10 ? `${Math.round(n / 2 ** 10)}Ki` : String(n);
  }
  const n = parseQuantity(v);
  if (n === undefined) return String(v);
  return Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`;
}

/** The status entry of spec metric `i` (Kubernetes keeps them in the same order). */
function statusFor(m: MetricSpec, s: MetricStatus | undefined): MetricStatus | undefined {
  return s?.type === m.type ? s : undefined;
}

/** One metric's `current/target`. */
export function metricTarget(m: MetricSpec, s: MetricStatus | undefined): string {
  const st = statusFor(m, s);
  if (m.type === 'Pods') {
    const t = m.pods?.target;
    return `${quantity(st?.pods?.current.averageValue)}/${quantity(t?.averageValue)}`;
  }
  const src = m.type === 'Resource' ? m.resource : m.containerResource;
  const cur = m.type === 'Resource' ? st?.resource?.current : st?.containerResource?.current;
  const prefix = m.type === 'ContainerResource' ? `${m.containerResource?.container ?? ''}:` : '';
  if (src?.target.type === 'Utilization') {
    const c = cur?.averageUtilization;
    return `${prefix}${src.name}: ${c === undefined ? '<unknown>' : `${c}%`}/${src.target.averageUtilization ?? 0}%`;
  }
  return `${prefix}${src?.name ?? ''}: ${quantity(cur?.averageValue, src?.name)}/${quantity(src?.target.averageValue, src?.name)}`;
}

/** Whether the HPA reports its target scaled to zero. */
export function scaledToZero(h: HorizontalPodAutoscaler): boolean {
  return h.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.reason === 'ScaledToZero') ?? false;
}

/** TARGETS of `get hpa`: at most two metrics then `+ N more...`, as kubectl. */
export function hpaTargets(h: HorizontalPodAutoscaler): string {
  const metrics = h.spec.metrics ?? [];
  if (scaledToZero(h)) {
    const rps = metrics.find((m) => m.type === 'Pods');
    return `0/${quantity(rps?.pods?.target.averageValue)} (idle)`;
  }
  if (metrics.length === 0) return '<none>';
  const shown = metrics.slice(0, 2).map((m, i) => metricTarget(m, h.status?.currentMetrics?.[i]));
  const more = metrics.length > 2 ? ` + ${metrics.length - 2} more...` : '';
  return shown.join(', ') + more;
}

/** The columns of `autoscaling/v2 HorizontalPodAutoscaler` (`KindColumns` of columns.ts). */
export const HPA_COLUMNS = {
  HorizontalPodAutoscaler: {
    headers: ['REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const h = o as HorizontalPodAutoscaler;
      const ref = h.spec.scaleTargetRef;
      return [
        `${ref.kind}/${ref.name}`,
        hpaTargets(h),
        String(h.spec.minReplicas ?? 1),
        String(h.spec.maxReplicas),
        String(h.status?.currentReplicas ?? 0),
        age(h.metadata.creationTimestamp, now),
      ];
    },
    wideCells: (): string[] => [],
  },
};

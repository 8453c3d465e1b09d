/** `describe hpa` as kubectl prints it: reference, metrics (current / target), bounds, pods, conditions with messages, events. */
import { metricTarget, scaledToZero, type Event, type HorizontalPodAutoscaler } from '../../api/index.js';
import { writeMeta } from './describe-pod.js';
import { DescribeWriter, describeTime, writeConditions, writeEvents } from './describe-writer.js';

/** One metric's describe line: its label and `current / target`. */
function metricLine(h: HorizontalPodAutoscaler, i: number): [string, string] {
  const m = h.spec.metrics?.[i];
  if (!m) return ['', ''];
  const text = metricTarget(m, h.status?.currentMetrics?.[i]);
  // metricTarget gives `[container:]name: current/target` or `current/target`.
  const [current = '', target = ''] = text.replace(/^.*: /, '').split('/');
  if (m.type === 'Pods') return [`"${m.pods?.metric.name ?? ''}" on pods`, `${current} / ${target}`];
  const src = m.type === 'Resource' ? m.resource : m.containerResource;
  const where = m.type === 'Resource' ? 'on pods' : `of container "${m.containerResource?.container ?? ''}" on pods`;
  const pct = src?.target.type === 'Utilization' ? '  (as a percentage of request)' : '';
  const cur =
    m.type === 'Resource' ? h.status?.currentMetrics?.[i]?.resource : h.status?.currentMetrics?.[i]?.containerResource;
  const raw = src?.target.type === 'Utilization' && cur?.current.averageValue ? ` (${cur.current.averageValue})` : '';
  return [`resource ${src?.name ?? ''} ${where}${pct}`, `${current}${raw} / ${target}`];
}

/** `describe hpa`. */
export function describeHpa(h: HorizontalPodAutoscaler, events: readonly Event[], now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, h, true);
  w.map(0, 'Labels', h.metadata.labels);
  w.map(0, 'Annotations', h.metadata.annotations, ': ');
  w.kv(0, 'CreationTimestamp', describeTime(h.metadata.creationTimestamp));
  const ref = h.spec.scaleTargetRef;
  w.kv(0, 'Reference', `${ref.kind}/${ref.name}`);
  w.kv(0, 'Metrics', '( current / target )');
  (h.spec.metrics ?? []).forEach((_m, i) => {
    const [label, value] = metricLine(h, i);
    w.kv(2, label, value);
  });
  w.kv(0, 'Min replicas', h.spec.minReplicas ?? 1);
  w.kv(0, 'Max replicas', h.spec.maxReplicas);
  if (scaledToZero(h)) w.kv(0, 'Scaled to zero', 'yes (idle; a request to its Service wakes it)');
  w.kv(0, `${ref.kind} pods`, `${h.status?.currentReplicas ?? 0} current / ${h.status?.desiredReplicas ?? 0} desired`);
  writeConditions(w, h.status?.conditions, 'message');
  writeEvents(w, events, now);
  return w.toString();
}

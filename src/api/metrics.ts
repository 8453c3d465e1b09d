/**
 * `metrics.k8s.io/v1beta1`: NodeMetrics and PodMetrics as kube's metrics-server serves them (read-only,
 * answered from the nodes' latest usage, never stored), and Kubernetes' canonical quantity forms for
 * the values (`123456n` cores, `1234Ki` bytes), so `kubectl top` and `edgectl top` read them alike.
 */
import { z } from 'zod';
import { Labels } from './meta.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** `cpu` and `memory` of a usage, as quantities. */
export const ResourceUsage = z.strictObject({ cpu: z.string().max(64), memory: z.string().max(64) });
export type ResourceUsage = z.infer<typeof ResourceUsage>;

/** The metadata metrics objects carry: their object's name, namespace and labels, and when they were made. */
const MetricsMeta = z.strictObject({
  name: z.string(),
  namespace: z.string().optional(),
  labels: Labels.optional(),
  creationTimestamp: z.string().optional(),
});

/** One node's usage over its latest window. */
export const NodeMetrics = z.strictObject({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('NodeMetrics'),
  metadata: MetricsMeta,
  /** End of the window (RFC 3339). */
  timestamp: z.string(),
  /** The window's length as a Go duration (`5s`). */
  window: z.string(),
  usage: ResourceUsage,
});
export type NodeMetrics = z.infer<typeof NodeMetrics>;

export const ContainerMetrics = z.strictObject({ name: z.string(), usage: ResourceUsage });
export type ContainerMetrics = z.infer<typeof ContainerMetrics>;

/** One pod's usage over its latest window, per container. */
export const PodMetrics = z.strictObject({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('PodMetrics'),
  metadata: MetricsMeta,
  timestamp: z.string(),
  window: z.string(),
  containers: z.array(ContainerMetrics),
});
export type PodMetrics = z.infer<typeof PodMetrics>;

const ListMeta = z.looseObject({ resourceVersion: z.string().optional() });

export const NodeMetricsList = z.strictObject({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('NodeMetricsList'),
  metadata: ListMeta,
  items: z.array(NodeMetrics),
});
export type NodeMetricsList = z.infer<typeof NodeMetricsList>;

export const PodMetricsList = z.strictObject({
  apiVersion: z.literal(METRICS_API_VERSION),
  kind: z.literal('PodMetricsList'),
  metadata: ListMeta,
  items: z.array(PodMetrics),
});
export type PodMetricsList = z.infer<typeof PodMetricsList>;

/** The kinds of `metrics.k8s.io/v1beta1`, for discovery (read-only: get and list). */
export const METRICS_RESOURCES = [
  { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
] as const;

/**
 * CPU in billionths of a core in Kubernetes' canonical decimal form: the largest of `n`, `u`, `m` and
 * whole cores that writes it exactly (`1500000n` → `1500u`, `250000000` → `250m`, `0` → `0`).
 */
export function formatNanoCores(nanoCores: number): string {
  let v = Math.max(0, Math.round(nanoCores));
  if (v === 0) return '0';
  for (const suffix of ['n', 'u', 'm']) {
    if (v % 1000 !== 0) return `${v}${suffix}`;
    v /= 1000;
  }
  return String(v);
}

/** Bytes in Kubernetes' canonical binary form: the largest of Ki…Ei that writes it exactly, else plain bytes. */
export function formatBinaryBytes(bytes: number): string {
  let v = Math.max(0, Math.round(bytes));
  if (v === 0) return '0';
  let suffix = '';
  for (const next of ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']) {
    if (v % 1024 !== 0) break;
    v /= 1024;
    suffix = next;
  }
  return `${v}${suffix}`;
}

/** A window's length as a Go duration string (`5s`, `2.5s`), as metrics-server writes `window`. */
export function formatWindow(seconds: number): string {
  return `${Math.round(seconds * 1000) / 1000}s`;
}

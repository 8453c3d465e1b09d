/**
 * `metrics.k8s.io/v1beta1` as kube's metrics-server serves it: NodeMetrics and PodMetrics, get and
 * list (namespaced and across namespaces), `labelSelector` and `fieldSelector` applied to the Node or
 * Pod the metrics belong to. Answered from the nodes' latest usage (`UsageSource`); a pod or node with
 * no fresh sample is absent from lists and NotFound on get, as there. Without a usage source the group
 * answers 503, as Kubernetes' aggregator does when metrics-server is down.
 */
import type { Context, Hono } from 'hono';
import type { Node, NodeMetrics, NodeMetricsList, Pod, PodMetrics, PodMetricsList } from '../../api/index.js';
import {
  METRICS_API_VERSION,
  METRICS_GROUP,
  MethodNotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  formatBinaryBytes,
  formatNanoCores,
  formatWindow,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  rfc3339,
} from '../../api/index.js';
import type { NodeUsageSample, PodUsageSample, UsageSource } from '../metrics/index.js';
import type { ApiEnv, MetricsApiDeps } from './types.js';

const BASE = `/apis/${METRICS_API_VERSION}`;

type Ctx = Context<ApiEnv>;

/** Selectors of a list request, parsed (a bad one is a 400 naming it). */
function selectors(c: Ctx): { matches(obj: Pod | Node): boolean } {
  if (c.req.query('watch') === 'true' || c.req.query('watch') === '1')
    throw new MethodNotAllowedError(`watch is not supported on ${METRICS_GROUP}`);
  const labels = parseLabelSelector(c.req.query('labelSelector'));
  const fields = parseFieldSelector(c.req.query('fieldSelector'));
  return { matches: (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o) };
}

function podMetrics(pod: Pod, s: PodUsageSample, created: string): PodMetrics {
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'PodMetrics',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      creationTimestamp: created,
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: s.timestamp,
    window: formatWindow(s.windowSeconds),
    containers: s.containers.map((c) => ({
      name: c.name,
      usage: { cpu: formatNanoCores(c.cpuNanoCores), memory: formatBinaryBytes(c.memoryBytes) },
    })),
  };
}

function nodeMetrics(node: Node, s: NodeUsageSample, created: string): NodeMetrics {
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'NodeMetrics',
    metadata: {
      name: s.name,
      creationTimestamp: created,
      ...(node.metadata.labels ? { labels: node.metadata.labels } : {}),
    },
    timestamp: s.timestamp,
    window: formatWindow(s.windowSeconds),
    usage: { cpu: formatNanoCores(s.cpuNanoCores), memory: formatBinaryBytes(s.memoryBytes) },
  };
}

/** The sample of this pod (same uid: a pod recreated under the name has no usage yet). */
function samplePod(usage: UsageSource, pod: Pod): PodUsageSample | undefined {
  const s = usage.pod(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '');
  return s && s.uid === pod.metadata.uid ? s : undefined;
}

/** Mounts the group's routes (before the generic `/apis/*` dispatch). */
export function mountMetricsApi(app: Hono<ApiEnv>, deps: MetricsApiDeps | undefined): void {
  const need = (): MetricsApiDeps => {
    if (!deps) throw new ServiceUnavailableError(`the ${METRICS_GROUP} API is not served by this hub`);
    return deps;
  };
  const created = (d: MetricsApiDeps): string => rfc3339((d.now ?? Date.now)());

  const listPods = (c: Ctx, namespace: string | undefined): Response => {
    const d = need();
    const sel = selectors(c);
    const at = created(d);
    const items: PodMetrics[] = [];
    for (const s of d.usage.pods(namespace)) {
      const pod = d.pods.get(s.namespace, s.name);
      if (pod && pod.metadata.uid === s.uid && sel.matches(pod)) items.push(podMetrics(pod, s, at));
    }
    items.sort((a, b) => key(a).localeCompare(key(b)));
    const list: PodMetricsList = { apiVersion: METRICS_API_VERSION, kind: 'PodMetricsList', metadata: {}, items };
    return c.json(list);
  };

  app.get(`${BASE}/nodes`, (c) => {
    const d = need();
    const sel = selectors(c);
    const at = created(d);
    const items: NodeMetrics[] = [];
    for (const s of d.usage.nodes()) {
      const node = d.nodes.get(undefined, s.name);
      if (node && sel.matches(node)) items.push(nodeMetrics(node, s, at));
    }
    items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const list: NodeMetricsList = { apiVersion: METRICS_API_VERSION, kind: 'NodeMetricsList', metadata: {}, items };
    return c.json(list);
  });
  app.get(`${BASE}/nodes/:name`, (c) => {
    const d = need();
    const name = c.req.param('name');
    const node = d.nodes.get(undefined, name);
    const s = node ? d.usage.node(name) : undefined;
    if (!node || !s) throw new NotFoundError(`nodemetrics.${METRICS_GROUP}`, name);
    return c.json(nodeMetrics(node, s, created(d)));
  });
  app.get(`${BASE}/pods`, (c) => listPods(c, undefined));
  app.get(`${BASE}/namespaces/:namespace/pods`, (c) => listPods(c, c.req.param('namespace')));
  app.get(`${BASE}/namespaces/:namespace/pods/:name`, (c) => {
    const d = need();
    const { namespace, name } = c.req.param();
    const pod = d.pods.get(namespace, name);
    const s = pod ? samplePod(d.usage, pod) : undefined;
    if (!pod || !s) throw new NotFoundError(`podmetrics.${METRICS_GROUP}`, `${namespace}/${name}`);
    return c.json(podMetrics(pod, s, created(d)));
  });
}

function key(m: PodMetrics): string {
  return `${m.metadata.namespace ?? ''}/${m.metadata.name}`;
}

/** `describe` of the kinds other than Pod, and the dispatch by kind. */
import {
  age,
  nodeStatus,
  podStatus,
  type ConfigMap,
  type Deployment,
  type Endpoints,
  type Event,
  type HorizontalPodAutoscaler,
  type KubeObject,
  type Namespace,
  type Node,
  type Pod,
  type ReplicaSet,
  type ResourceKind,
  type Secret,
  type Service,
  formatSelector,
  fromLabelSelector,
} from '../../api/index.js';
import { describeConfigMap, describeSecret } from './describe-config.js';
import { describeHpa } from './describe-hpa.js';
import { controlledBy, describePod, writeLabels, writeMeta, writePodTemplate } from './describe-pod.js';
import { DescribeWriter, describeTime, writeConditions, writeEvents } from './describe-writer.js';
import { toYaml } from './objects.js';

/** Related objects a describer may show (fetched by the command). */
export interface DescribeExtras {
  events: readonly Event[];
  /** Pods of a ReplicaSet (by selector) or of a Node (by spec.nodeName). */
  pods?: readonly Pod[];
  /** ReplicaSets owned by a Deployment. */
  replicaSets?: readonly ReplicaSet[];
  /** The Endpoints of a Service. */
  endpoints?: Endpoints | undefined;
}

function selectorText(sel: Deployment['spec']['selector']): string {
  return formatSelector(fromLabelSelector(sel) ?? []);
}

function describeDeployment(d: Deployment, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, d, true);
  w.kv(0, 'CreationTimestamp', describeTime(d.metadata.creationTimestamp));
  writeLabels(w, d);
  w.kv(0, 'Selector', selectorText(d.spec.selector));
  const s = d.status ?? {};
  w.kv(
    0,
    'Replicas',
    `${d.spec.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`,
  );
  const strategy = d.spec.strategy?.type ?? 'RollingUpdate';
  w.kv(0, 'StrategyType', strategy);
  w.kv(0, 'MinReadySeconds', d.spec.minReadySeconds ?? 0);
  if (strategy === 'RollingUpdate') {
    const ru = d.spec.strategy?.rollingUpdate;
    w.kv(
      0,
      'RollingUpdateStrategy',
      `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`,
    );
  }
  writePodTemplate(w, d.spec.template);
  writeConditions(w, s.conditions);
  const owned = [...(x.replicaSets ?? [])].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
  const fmt = (rs: ReplicaSet): string =>
    `${rs.metadata.name ?? ''} (${rs.status?.replicas ?? 0}/${rs.spec.replicas ?? 0} replicas created)`;
  const [newest, ...old] = owned;
  w.kv(0, 'OldReplicaSets', old.map(fmt).join(', '));
  w.kv(0, 'NewReplicaSet', newest ? fmt(newest) : undefined);
  writeEvents(w, x.events, now);
  return w.toString();
}

function describeReplicaSet(rs: ReplicaSet, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, rs, true);
  w.kv(0, 'Selector', selectorText(rs.spec.selector));
  writeLabels(w, rs);
  w.kv(0, 'Controlled By', controlledBy(rs));
  w.kv(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec.replicas ?? 1} desired`);
  const pods = x.pods ?? [];
  const count = (phase: string): number => pods.filter((p) => (p.status?.phase ?? 'Pending') === phase).length;
  w.kv(
    0,
    'Pods Status',
    `${count('Running')} Running / ${count('Pending')} Waiting / ${count('Succeeded')} Succeeded / ${count('Failed')} Failed`,
  );
  writePodTemplate(w, rs.spec.template);
  writeConditions(w, rs.status?.conditions);
  writeEvents(w, x.events, now);
  return w.toString();
}

function describeService(svc: Service, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, svc, true);
  writeLabels(w, svc);
  w.map(0, 'Selector', svc.spec.selector);
  w.kv(0, 'Type', svc.spec.type ?? 'ClusterIP');
  w.kv(0, 'IP', svc.spec.clusterIP);
  for (const p of svc.spec.ports) {
    const proto = p.protocol ?? 'TCP';
    const label = p.name ?? '<unset>';
    w.kv(0, 'Port', `${label}  ${p.port}/${proto}`);
    w.kv(0, 'TargetPort', `${p.targetPort ?? p.port}/${proto}`);
    if (p.nodePort) w.kv(0, 'NodePort', `${label}  ${p.nodePort}/${proto}`);
    const eps: string[] = [];
    for (const s of x.endpoints?.subsets ?? []) {
      const port =
        (s.ports ?? []).find((ep) => (ep.name ?? '') === (p.name ?? '')) ??
        (s.ports?.length === 1 ? s.ports[0] : undefined);
      for (const a of s.addresses ?? []) eps.push(port ? `${a.ip}:${port.port}` : a.ip);
    }
    w.kv(0, 'Endpoints', eps.join(','));
  }
  w.kv(0, 'Session Affinity', svc.spec.sessionAffinity ?? 'None');
  writeEvents(w, x.events, now);
  return w.toString();
}

function describeNode(node: Node, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, node, false);
  w.kv(0, 'Status', nodeStatus(node));
  writeLabels(w, node);
  w.kv(0, 'CreationTimestamp', describeTime(node.metadata.creationTimestamp));
  w.kv(
    0,
    'Taints',
    (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', '),
  );
  w.kv(0, 'Unschedulable', node.spec?.unschedulable ? 'true' : 'false');
  const conds = node.status?.conditions ?? [];
  if (conds.length === 0) w.kv(0, 'Conditions', undefined);
  else {
    w.heading(0, 'Conditions:');
    const head = ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'];
    const rows = conds.map((c) => [
      c.type,
      c.status,
      describeTime(c.lastHeartbeatTime) ?? '',
      describeTime(c.lastTransitionTime) ?? '',
      c.reason ?? '',
      c.message ?? '',
    ]);
    w.table(2, [head, head.map((h) => '-'.repeat(h.length)), ...rows]);
  }
  w.heading(0, 'Addresses:');
  for (const a of node.status?.addresses ?? []) w.kv(2, a.type, a.address);
  for (const [key, map] of [
    ['Capacity', node.status?.capacity],
    ['Allocatable', node.status?.allocatable],
  ] as const) {
    w.heading(0, `${key}:`);
    for (const [k, v] of Object.entries(map ?? {})) w.kv(2, k, String(v));
  }
  const info = node.status?.nodeInfo;
  w.heading(0, 'System Info:');
  w.kv(2, 'Machine ID', info?.machineID);
  w.kv(2, 'Kernel Version', info?.kernelVersion);
  w.kv(2, 'OS Image', info?.osImage);
  w.kv(2, 'Operating System', info?.operatingSystem);
  w.kv(2, 'Architecture', info?.architecture);
  w.kv(2, 'Agent Version', info?.kubeletVersion);
  w.kv(0, 'Runtime Handlers', (node.status?.runtimeHandlers ?? []).map((h) => h.name).join(', '));
  const pods = (x.pods ?? []).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  w.heading(0, `Non-terminated Pods:  (${pods.length} in total)`);
  if (pods.length > 0) {
    const head = ['Namespace', 'Name', 'Status', 'Age'];
    const rows = pods.map((p) => [
      p.metadata.namespace ?? '',
      p.metadata.name ?? '',
      podStatus(p),
      age(p.metadata.creationTimestamp, now),
    ]);
    w.table(2, [head, head.map((h) => '-'.repeat(h.length)), ...rows]);
  }
  writeEvents(w, x.events, now);
  return w.toString();
}

function describeEndpoints(ep: Endpoints, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, ep, true);
  writeLabels(w, ep);
  w.heading(0, 'Subsets:');
  for (const s of ep.subsets ?? []) {
    w.kv(2, 'Addresses', (s.addresses ?? []).map((a) => a.ip).join(','));
    w.kv(2, 'NotReadyAddresses', (s.notReadyAddresses ?? []).map((a) => a.ip).join(','));
    w.heading(2, 'Ports:');
    w.table(4, [
      ['Name', 'Port', 'Protocol'],
      ['----', '----', '--------'],
      ...(s.ports ?? []).map((p) => [p.name ?? '<unset>', String(p.port), p.protocol ?? 'TCP']),
    ]);
  }
  writeEvents(w, x.events, now);
  return w.toString();
}

function describeGeneric(type: ResourceKind, obj: KubeObject, x: DescribeExtras, now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, obj, type.namespaced);
  writeLabels(w, obj);
  w.kv(0, 'CreationTimestamp', describeTime(obj.metadata.creationTimestamp));
  if (type.kind === 'Namespace') w.kv(0, 'Status', (obj as Namespace).status?.phase ?? 'Active');
  const rest = Object.fromEntries(
    Object.entries(obj).filter(([k]) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata'),
  );
  const body = Object.keys(rest).length > 0 ? toYaml(rest).trimEnd() : '';
  let text = w.toString();
  if (body !== '') text += `${body}\n`;
  if (type.kind !== 'Event') {
    const ew = new DescribeWriter();
    writeEvents(ew, x.events, now);
    text += ew.toString();
  }
  return text;
}

/** The describe text of any object. */
export function describeObject(type: ResourceKind, obj: KubeObject, extras: DescribeExtras, now: number): string {
  switch (type.kind) {
    case 'Pod':
      return describePod(obj as Pod, extras.events, now);
    case 'Deployment':
      return describeDeployment(obj as Deployment, extras, now);
    case 'ReplicaSet':
      return describeReplicaSet(obj as ReplicaSet, extras, now);
    case 'Service':
      return describeService(obj as Service, extras, now);
    case 'Node':
      return describeNode(obj as Node, extras, now);
    case 'Endpoints':
      return describeEndpoints(obj as Endpoints, extras, now);
    case 'Secret':
      return describeSecret(obj as Secret, extras.events, now);
    case 'ConfigMap':
      return describeConfigMap(obj as ConfigMap, extras.events, now);
    case 'HorizontalPodAutoscaler':
      return describeHpa(obj as HorizontalPodAutoscaler, extras.events, now);
    default:
      return describeGeneric(type, obj, extras, now);
  }
}

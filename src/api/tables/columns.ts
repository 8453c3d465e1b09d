/**
 * The columns `edgectl get` prints per kind, as kubectl prints them. Each kind gives its headers
 * and cells after NAME; the generic table code adds NAMESPACE, NAME and LABELS.
 */
import { cpuMillis, formatBytes, formatCpu, memoryBytes } from '../quantity-format.js';
import { formatSelector, fromLabelSelector } from '../selectors.js';
import type { Node } from '../node.js';
import { defaultRuntimeClass, nodeAddress, nodeReadyStatus } from '../object-facts.js';
import type { Pod, PodTemplateSpec } from '../pod.js';
import type { DaemonSet, Deployment, Job, ReplicaSet } from '../workloads.js';
import type { Endpoints, Service } from '../service.js';
import type { Event } from '../event.js';
import type { KubeObject } from '../meta.js';
import type { Namespace } from '../namespace.js';
import { age } from './age.js';
import { CONFIG_COLUMNS } from './config-columns.js';
import { CANARY_COLUMNS } from './canary-columns.js';
import { COMPONENT_STATUS_COLUMNS } from './component-status-columns.js';
import { GATEWAY_COLUMNS } from './gateway-columns.js';
import { HPA_COLUMNS } from './hpa-columns.js';
import { podReady, podRestarts, podStatus } from './pod-status.js';
import { RBAC_COLUMNS } from './rbac-columns.js';

/** How one kind is printed. */
export interface KindColumns {
  headers: readonly string[];
  wideHeaders: readonly string[];
  /** False for kinds without a NAME column (events). */
  named: boolean;
  cells(obj: KubeObject, now: number): string[];
  wideCells(obj: KubeObject, now: number): string[];
}

const none = (s: string | undefined): string => (s === undefined || s === '' ? '<none>' : s);

/** `cpu` as kubectl shows capacity (`4`, `1500m`). */
function cpu(v: string | number | undefined): string {
  return v === undefined ? '<none>' : formatCpu(cpuMillis(v));
}

/** Memory rounded for reading (`23.5Gi`, `512Mi`); exact quantities are in `-o yaml`. */
function mem(v: string | number | undefined): string {
  if (v === undefined) return '<none>';
  const bytes = memoryBytes(v);
  if (bytes >= 2 ** 30) return `${Number((bytes / 2 ** 30).toFixed(1))}Gi`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  return formatBytes(bytes);
}

/**
 * As kubectl: `Ready` when the Ready condition is True, `NotReady` when it is False or Unknown (a node
 * that stopped heartbeating), `Unknown` when there is no Ready condition; `,SchedulingDisabled` when cordoned.
 */
export function nodeStatus(node: Node): string {
  const hasReady = node.status?.conditions?.some((c) => c.type === 'Ready') ?? false;
  const s = !hasReady ? 'Unknown' : nodeReadyStatus(node) === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

/** `80/TCP`, `80:30080/TCP`, comma-joined. */
export function servicePorts(svc: Service): string {
  return none(
    svc.spec.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','),
  );
}

/** `a=b,c=d` of a map selector. */
export function mapSelector(sel: Record<string, string> | undefined): string {
  return none(
    Object.entries(sel ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
}

/** `ip:port,ip:port,ip:port + 2 more...` as kubectl's ENDPOINTS column. */
export function formatEndpoints(ep: Endpoints, max = 3): string {
  const all: string[] = [];
  for (const s of ep.subsets ?? []) {
    for (const a of s.addresses ?? []) {
      if ((s.ports ?? []).length === 0) all.push(a.ip);
      for (const p of s.ports ?? []) all.push(`${a.ip}:${p.port}`);
    }
  }
  if (all.length === 0) return '<none>';
  const shown = all.slice(0, max).join(',');
  return all.length > max ? `${shown} + ${all.length - max} more...` : shown;
}

function templateCells(tpl: PodTemplateSpec, selector: Parameters<typeof fromLabelSelector>[0]): string[] {
  return [
    tpl.spec.containers.map((c) => c.name).join(','),
    tpl.spec.containers.map((c) => c.image).join(','),
    none(formatSelector(fromLabelSelector(selector) ?? [])),
  ];
}

/** The time an event was last seen (lastTimestamp, else firstTimestamp, else creation). */
export function eventTime(e: Event): string | undefined {
  return e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
}

const created = (o: KubeObject, now: number): string => age(o.metadata.creationTimestamp, now);

const COLUMNS: Record<string, KindColumns> = {
  ...CONFIG_COLUMNS,
  ...HPA_COLUMNS,
  ...GATEWAY_COLUMNS,
  ...CANARY_COLUMNS,
  ...COMPONENT_STATUS_COLUMNS,
  ...RBAC_COLUMNS,
  Node: {
    headers: ['STATUS', 'ARCH', 'RUNTIMES', 'CPU', 'MEMORY', 'PODS', 'AGE'],
    wideHeaders: ['VERSION', 'INTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION'],
    named: true,
    cells: (o, now) => {
      const n = o as Node;
      const cap = n.status?.capacity ?? {};
      return [
        nodeStatus(n),
        none(n.status?.nodeInfo?.architecture),
        none((n.status?.runtimeHandlers ?? []).map((h) => h.name).join(',')),
        cpu(cap.cpu),
        mem(cap.memory),
        cap.pods === undefined ? '<none>' : String(cap.pods),
        created(n, now),
      ];
    },
    wideCells: (o) => {
      const n = o as Node;
      const info = n.status?.nodeInfo;
      return [
        none(info?.kubeletVersion),
        none(nodeAddress(n)),
        none(info?.osImage ?? info?.operatingSystem),
        none(info?.kernelVersion),
      ];
    },
  },
  Pod: {
    headers: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
    wideHeaders: ['RUNTIME', 'NODE', 'IP'],
    named: true,
    cells: (o, now) => {
      const p = o as Pod;
      return [podReady(p), podStatus(p), podRestarts(p, now), created(p, now)];
    },
    wideCells: (o) => {
      const p = o as Pod;
      return [defaultRuntimeClass(p.spec), none(p.spec.nodeName), none(p.status?.podIP)];
    },
  },
  Deployment: {
    headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    named: true,
    cells: (o, now) => {
      const d = o as Deployment;
      const st = d.status ?? {};
      return [
        `${st.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`,
        String(st.updatedReplicas ?? 0),
        String(st.availableReplicas ?? 0),
        created(d, now),
      ];
    },
    wideCells: (o) => templateCells((o as Deployment).spec.template, (o as Deployment).spec.selector),
  },
  ReplicaSet: {
    headers: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    named: true,
    cells: (o, now) => {
      const r = o as ReplicaSet;
      return [
        String(r.spec.replicas ?? 1),
        String(r.status?.replicas ?? 0),
        String(r.status?.readyReplicas ?? 0),
        created(r, now),
      ];
    },
    wideCells: (o) => templateCells((o as ReplicaSet).spec.template, (o as ReplicaSet).spec.selector),
  },
  DaemonSet: {
    headers: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    named: true,
    cells: (o, now) => {
      const d = o as DaemonSet;
      const st = d.status;
      return [
        String(st?.desiredNumberScheduled ?? 0),
        String(st?.currentNumberScheduled ?? 0),
        String(st?.numberReady ?? 0),
        String(st?.updatedNumberScheduled ?? 0),
        String(st?.numberAvailable ?? 0),
        mapSelector(d.spec.template.spec.nodeSelector),
        created(d, now),
      ];
    },
    wideCells: (o) => templateCells((o as DaemonSet).spec.template, (o as DaemonSet).spec.selector),
  },
  Job: {
    headers: ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    named: true,
    cells: (o, now) => {
      const j = o as Job;
      const cond = j.status?.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      const status = cond
        ? cond.type === 'Complete'
          ? 'Complete'
          : 'Failed'
        : j.spec.suspend
          ? 'Suspended'
          : 'Running';
      const start = j.status?.startTime ? Date.parse(j.status.startTime) : undefined;
      const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : now;
      const duration = start === undefined ? '' : age(new Date(now - (end - start)).toISOString(), now);
      return [status, `${j.status?.succeeded ?? 0}/${j.spec.completions ?? 1}`, duration, created(j, now)];
    },
    wideCells: (o) => templateCells((o as Job).spec.template, (o as Job).spec.selector ?? {}),
  },
  Service: {
    headers: ['TYPE', 'PORT(S)', 'SELECTOR', 'AGE'],
    wideHeaders: ['CLUSTER-IP'],
    named: true,
    cells: (o, now) => {
      const s = o as Service;
      return [s.spec.type ?? 'ClusterIP', servicePorts(s), mapSelector(s.spec.selector), created(s, now)];
    },
    wideCells: (o) => [none((o as Service).spec.clusterIP)],
  },
  Endpoints: {
    headers: ['ENDPOINTS', 'AGE'],
    wideHeaders: [],
    named: true,
    cells: (o, now) => [formatEndpoints(o as Endpoints), created(o, now)],
    wideCells: () => [],
  },
  Namespace: {
    headers: ['STATUS', 'AGE'],
    wideHeaders: [],
    named: true,
    cells: (o, now) => [(o as Namespace).status?.phase ?? 'Active', created(o, now)],
    wideCells: () => [],
  },
  Event: {
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wideHeaders: [],
    named: false,
    cells: (o, now) => {
      const e = o as Event;
      const obj = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
      return [age(eventTime(e), now), e.type ?? 'Normal', e.reason ?? '', obj, (e.message ?? '').trim()];
    },
    wideCells: () => [],
  },
};

const GENERIC: KindColumns = {
  headers: ['AGE'],
  wideHeaders: [],
  named: true,
  cells: (o, now) => [created(o, now)],
  wideCells: () => [],
};

/** The columns of `kind` (a generic NAME/AGE table for kinds without their own). */
export function columnsFor(kind: string): KindColumns {
  return COLUMNS[kind] ?? GENERIC;
}

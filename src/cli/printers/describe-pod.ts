/** `describe pod`, and the container/pod-template sections workloads share with it. */
import {
  podStatus,
  defaultRuntimeClass,
  type Container,
  type ContainerState,
  type Event,
  type KubeObject,
  type Pod,
  type PodTemplateSpec,
  type Probe,
} from '../../api/index.js';
import { DescribeWriter, describeTime, writeConditions, writeEvents } from './describe-writer.js';

/** Name, Namespace, Labels, Annotations: the head of every describe. */
export function writeMeta(w: DescribeWriter, obj: KubeObject, namespaced: boolean): void {
  w.kv(0, 'Name', obj.metadata.name);
  if (namespaced) w.kv(0, 'Namespace', obj.metadata.namespace);
}

export function writeLabels(w: DescribeWriter, obj: KubeObject, indent = 0): void {
  w.map(indent, 'Labels', obj.metadata.labels);
  w.map(indent, 'Annotations', obj.metadata.annotations, ': ');
}

/** `Controlled By:  ReplicaSet/web-7d9f` from the controller owner reference. */
export function controlledBy(obj: KubeObject): string | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller) ?? obj.metadata.ownerReferences?.[0];
  return ref ? `${ref.kind}/${ref.name}` : undefined;
}

function writeState(w: DescribeWriter, indent: number, key: string, st: ContainerState | undefined): void {
  if (st?.running) {
    w.kv(indent, key, 'Running');
    w.kv(indent + 2, 'Started', describeTime(st.running.startedAt));
  } else if (st?.terminated) {
    const t = st.terminated;
    w.kv(indent, key, 'Terminated');
    w.kv(indent + 2, 'Reason', t.reason);
    if (t.message) w.kv(indent + 2, 'Message', t.message);
    w.kv(indent + 2, 'Exit Code', t.exitCode);
    if (t.signal) w.kv(indent + 2, 'Signal', t.signal);
    w.kv(indent + 2, 'Started', describeTime(t.startedAt));
    w.kv(indent + 2, 'Finished', describeTime(t.finishedAt));
  } else if (st?.waiting) {
    w.kv(indent, key, 'Waiting');
    w.kv(indent + 2, 'Reason', st.waiting.reason);
    if (st.waiting.message) w.kv(indent + 2, 'Message', st.waiting.message);
  } else {
    w.kv(indent, key, undefined);
  }
}

/** One container's spec lines (image, ports, command, resources, env) at `indent`. */
export function writeContainerSpec(w: DescribeWriter, c: Container, indent: number): void {
  w.kv(indent, 'Image', c.image);
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
  w.kv(indent, ports.length > 1 ? 'Ports' : 'Port', ports.join(', '));
  if (c.command) w.kv(indent, 'Command', c.command.join(' '));
  if (c.args) w.kv(indent, 'Args', c.args.join(' '));
}

/**
 * A probe on one line, as kubectl prints it:
 * `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`.
 */
export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s #success=${p.successThreshold} #failure=${p.failureThreshold}`;
  if (p.exec) return `exec [${p.exec.command.join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const host = p.httpGet.host ?? '';
    const path = p.httpGet.path.startsWith('/') ? p.httpGet.path : `/${p.httpGet.path}`;
    return `http-get ${p.httpGet.scheme.toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${p.httpGet.port}${path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port} ${attrs}`;
  return `unknown ${attrs}`;
}

function writeContainerTail(w: DescribeWriter, c: Container, indent: number): void {
  for (const [key, list] of [
    ['Limits', c.resources?.limits],
    ['Requests', c.resources?.requests],
  ] as const) {
    if (!list || Object.keys(list).length === 0) continue;
    w.heading(indent, `${key}:`);
    for (const [k, v] of Object.entries(list)) if (v !== undefined) w.kv(indent + 2, k, String(v));
  }
  if (c.livenessProbe) w.kv(indent, 'Liveness', describeProbe(c.livenessProbe));
  if (c.readinessProbe) w.kv(indent, 'Readiness', describeProbe(c.readinessProbe));
  if (c.startupProbe) w.kv(indent, 'Startup', describeProbe(c.startupProbe));
  if (!c.env || c.env.length === 0) {
    w.kv(indent, 'Environment', undefined);
    return;
  }
  w.heading(indent, 'Environment:');
  for (const e of c.env) w.kv(indent + 2, e.name, describeEnvValue(e));
}

/** kubectl's rendering of one env entry: the value, or where it comes from (never a Secret's value). */
function describeEnvValue(e: NonNullable<Container['env']>[number]): string {
  const from = e.valueFrom;
  if (!from) return e.value ?? '';
  if (from.fieldRef) return ` (v1:${from.fieldRef.fieldPath})`;
  if (from.configMapKeyRef) {
    const r = from.configMapKeyRef;
    return `<set to the key '${r.key}' of config map '${r.name}'>  Optional: ${r.optional === true}`;
  }
  if (from.secretKeyRef) {
    const r = from.secretKeyRef;
    return `<set to the key '${r.key}' in secret '${r.name}'>  Optional: ${r.optional === true}`;
  }
  return '';
}

/** The `Pod Template:` section of a Deployment or ReplicaSet. */
export function writePodTemplate(w: DescribeWriter, tpl: PodTemplateSpec): void {
  w.heading(0, 'Pod Template:');
  w.map(2, 'Labels', tpl.metadata?.labels);
  if (tpl.spec.runtimeClassName) w.kv(2, 'Runtime Class Name', tpl.spec.runtimeClassName);
  w.heading(2, 'Containers:');
  for (const c of tpl.spec.containers) {
    w.heading(3, `${c.name}:`);
    writeContainerSpec(w, c, 4);
    writeContainerTail(w, c, 4);
  }
}

/** `describe pod`. */
export function describePod(pod: Pod, events: readonly Event[], now: number): string {
  const w = new DescribeWriter();
  writeMeta(w, pod, true);
  w.kv(0, 'Runtime Class Name', defaultRuntimeClass(pod.spec));
  w.kv(
    0,
    'Node',
    pod.spec.nodeName ? `${pod.spec.nodeName}${pod.status?.hostIP ? `/${pod.status.hostIP}` : ''}` : undefined,
  );
  w.kv(0, 'Start Time', describeTime(pod.status?.startTime));
  writeLabels(w, pod);
  const status =
    podStatus(pod) === 'Terminating'
      ? `Terminating (lasts ${pod.metadata.deletionGracePeriodSeconds ?? '?'}s)`
      : (pod.status?.phase ?? 'Pending');
  w.kv(0, 'Status', status);
  if (pod.status?.reason) w.kv(0, 'Reason', pod.status.reason);
  if (pod.status?.message) w.kv(0, 'Message', pod.status.message);
  w.kv(0, 'IP', pod.status?.podIP);
  w.kv(0, 'Controlled By', controlledBy(pod));
  w.heading(0, 'Containers:');
  for (const c of pod.spec.containers) {
    const cs = pod.status?.containerStatuses?.find((s) => s.name === c.name);
    w.heading(2, `${c.name}:`);
    if (cs?.containerID) w.kv(4, 'Container ID', cs.containerID);
    writeContainerSpec(w, c, 4);
    if (cs?.imageID) w.kv(4, 'Image ID', cs.imageID);
    writeState(w, 4, 'State', cs?.state);
    if (cs?.lastState && Object.keys(cs.lastState).length > 0) writeState(w, 4, 'Last State', cs.lastState);
    w.kv(4, 'Ready', cs ? (cs.ready ? 'True' : 'False') : 'False');
    w.kv(4, 'Restart Count', cs?.restartCount ?? 0);
    writeContainerTail(w, c, 4);
  }
  writeConditions(w, pod.status?.conditions, 'status');
  w.map(0, 'Node-Selectors', pod.spec.nodeSelector, '=');
  const tol = (pod.spec.tolerations ?? []).map(
    (t) =>
      `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`,
  );
  w.kv(0, 'Tolerations', tol.join(', '));
  writeEvents(w, events, now);
  return w.toString();
}

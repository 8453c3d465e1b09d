/**
 * Defaulting, as the Kubernetes API server does it, so stored objects are complete and an
 * `apply` of the same manifest defaults to the same object (and therefore does not write).
 */
import { defaultRuntimeClass, type KubeObject, type PodSpec, type ServiceSpec } from '../../api/index.js';

type Json = Record<string, unknown>;

function defaultPodSpec(spec: PodSpec): PodSpec {
  return {
    ...spec,
    restartPolicy: spec.restartPolicy ?? 'Always',
    runtimeClassName: defaultRuntimeClass(spec),
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
  };
}

function defaultTemplate(spec: Json): Json {
  const template = spec.template as { spec?: PodSpec } | undefined;
  return template?.spec ? { ...spec, template: { ...template, spec: defaultPodSpec(template.spec) } } : spec;
}

function defaultServiceSpec(spec: ServiceSpec): ServiceSpec {
  return {
    ...spec,
    type: spec.type ?? 'ClusterIP',
    sessionAffinity: spec.sessionAffinity ?? 'None',
    ports: spec.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
  };
}

function defaultDeploymentSpec(spec: Json): Json {
  const strategy = (spec.strategy ?? {}) as { type?: string; rollingUpdate?: Json };
  const type = strategy.type ?? 'RollingUpdate';
  const rollingUpdate = type === 'RollingUpdate' ? { maxSurge: '25%', maxUnavailable: '25%', ...(strategy.rollingUpdate ?? {}) } : undefined;
  return defaultTemplate({
    ...spec,
    replicas: spec.replicas ?? 1,
    strategy: rollingUpdate ? { type, rollingUpdate } : { ...strategy, type },
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
  });
}

/** Returns `obj` with its spec defaulted (applied on create and on every update). */
export function defaultSpec<T extends KubeObject>(obj: T): T {
  const spec = obj.spec as Json | undefined;
  if (!spec) return obj;
  switch (obj.kind) {
    case 'Pod':
      return { ...obj, spec: defaultPodSpec(spec as PodSpec) };
    case 'ReplicaSet':
      return { ...obj, spec: defaultTemplate({ ...spec, replicas: spec.replicas ?? 1 }) };
    case 'Deployment':
      return { ...obj, spec: defaultDeploymentSpec(spec) };
    case 'Service':
      return { ...obj, spec: defaultServiceSpec(spec as ServiceSpec) };
    default:
      return obj;
  }
}

/** The status an object starts with (create only; status writes go through `/status`). */
export function initialStatus(obj: KubeObject): unknown {
  switch (obj.kind) {
    case 'Pod':
      return { phase: 'Pending' };
    case 'Namespace':
      return { phase: 'Active' };
    default:
      return undefined;
  }
}

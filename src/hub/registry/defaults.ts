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
  const rollingUpdate =
    type === 'RollingUpdate'
      ? { maxSurge: '25%', maxUnavailable: '25%', ...(strategy.rollingUpdate ?? {}) }
      : undefined;
  return defaultTemplate({
    ...spec,
    replicas: spec.replicas ?? 1,
    strategy: rollingUpdate ? { type, rollingUpdate } : { ...strategy, type },
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
  });
}

function defaultDaemonSetSpec(spec: Json): Json {
  const strategy = (spec.updateStrategy ?? {}) as { type?: string; rollingUpdate?: Json };
  const type = strategy.type ?? 'RollingUpdate';
  return defaultTemplate({
    ...spec,
    updateStrategy:
      type === 'RollingUpdate'
        ? { type, rollingUpdate: { maxUnavailable: 1, maxSurge: 0, ...(strategy.rollingUpdate ?? {}) } }
        : { type },
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
  });
}

/** Label Kubernetes puts on a Job's pods (and in its generated selector). */
export const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';

function defaultJobSpec(spec: Json, uid: string | undefined): Json {
  const template = (spec.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: PodSpec };
  const completions = (spec.completions as number | undefined) ?? 1;
  const withTemplate = defaultTemplate({
    ...spec,
    completions,
    parallelism: spec.parallelism ?? 1,
    backoffLimit: spec.backoffLimit ?? 6,
    suspend: spec.suspend ?? false,
    // Pods of a Job run to completion: restartPolicy defaults to Never, not Always.
    template: template.spec
      ? { ...template, spec: { ...template.spec, restartPolicy: template.spec.restartPolicy ?? 'Never' } }
      : template,
  });
  if (spec.manualSelector === true || uid === undefined) return withTemplate;
  // As Kubernetes: the selector and the pods' label are the Job's own uid, so Jobs never share pods.
  const t = withTemplate.template as { metadata?: { labels?: Record<string, string> } };
  return {
    ...withTemplate,
    selector: { matchLabels: { [JOB_UID_LABEL]: uid } },
    template: {
      ...t,
      metadata: { ...(t.metadata ?? {}), labels: { ...(t.metadata?.labels ?? {}), [JOB_UID_LABEL]: uid } },
    },
  };
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
    case 'DaemonSet':
      return { ...obj, spec: defaultDaemonSetSpec(spec) };
    case 'Job':
      return { ...obj, spec: defaultJobSpec(spec, obj.metadata.uid) };
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

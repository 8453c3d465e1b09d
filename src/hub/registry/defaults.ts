/**
 * Defaulting, as the Kubernetes API server does it, so stored objects are complete and an
 * `apply` of the same manifest defaults to the same object (and therefore does not write).
 */
import { defaultRuntimeClass, type PodSpec, type ServiceSpec } from '../../api/index.js';

/** A spec as plain JSON. */
export type Json = Record<string, unknown>;

/** A pod spec with Kubernetes' defaults. */
export function defaultPodSpec(spec: PodSpec): PodSpec {
  return {
    ...spec,
    restartPolicy: spec.restartPolicy ?? 'Always',
    runtimeClassName: defaultRuntimeClass(spec),
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
  };
}

/** A workload spec whose pod template spec is defaulted. */
export function defaultTemplate(spec: Json): Json {
  const template = spec.template as { spec?: PodSpec } | undefined;
  return template?.spec ? { ...spec, template: { ...template, spec: defaultPodSpec(template.spec) } } : spec;
}

/** A Service spec with Kubernetes' defaults. */
export function defaultServiceSpec(spec: ServiceSpec): ServiceSpec {
  return {
    ...spec,
    type: spec.type ?? 'ClusterIP',
    sessionAffinity: spec.sessionAffinity ?? 'None',
    ports: spec.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
  };
}

/** A Deployment spec with Kubernetes' defaults. */
export function defaultDeploymentSpec(spec: Json): Json {
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

/** A DaemonSet spec with Kubernetes' defaults. */
export function defaultDaemonSetSpec(spec: Json): Json {
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

/** A Job spec with Kubernetes' defaults; the selector is generated from `uid` unless manual. */
export function defaultJobSpec(spec: Json, uid: string | undefined): Json {
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

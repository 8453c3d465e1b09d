/** Pods stamped from a workload's pod template (ReplicaSet, DaemonSet, Job). */
import type { KubeObject, Pod, PodSpec, PodTemplateSpec } from '../../api/index.js';
import { ownerRefTo } from '../reconcile/index.js';

/**
 * A new pod of `owner` from `template`: a generated name (`generateName: <owner>-`: the registry adds the
 * random suffix and retries another on a collision, as Kubernetes does), the template's labels
 * (plus `labels`) and annotations, `owner` as its controller, and the template's spec (plus `spec`).
 */
export function podFromTemplate(
  owner: KubeObject,
  template: PodTemplateSpec,
  extra: { labels?: Record<string, string>; spec?: Partial<PodSpec> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: { ...structuredClone(template.spec), ...(extra.spec ?? {}) },
  };
}

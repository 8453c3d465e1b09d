/** Pods stamped from a workload's pod template (ReplicaSet, DaemonSet, Job). */
import type { KubeObject, Pod, PodSpec, PodTemplateSpec } from '../../api/index.js';
import { ownerRefTo } from '../reconcile/index.js';
import { randomSuffix } from './util.js';

/**
 * A new pod of `owner` from `template`: a generated name (`<owner>-<suffix>`), the template's labels
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
      name: `${owner.metadata.name}-${randomSuffix()}`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec: { ...structuredClone(template.spec), ...(extra.spec ?? {}) },
  };
}

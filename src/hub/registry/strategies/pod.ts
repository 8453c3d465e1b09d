/**
 * Pods: defaulted spec, a fresh `Pending` status, a binding (`spec.nodeName`) that an update may not
 * change and a manifest may omit, Pod Security admission against the namespace's labels, and
 * graceful deletion while bound to a node that must confirm the pod stopped.
 */
import type { FieldCause, KubeObject, Pod, PodSpec } from '../../../api/index.js';
import { isPodTerminal, requestTimeoutCauses } from '../../../api/index.js';
import { admitImages, podSpecCauses } from '../checks.js';
import { defaultPodSpec } from '../defaults.js';
import { admitPodSecurity } from '../pod-security.js';
import type { KindRules, StrategyDeps } from './strategy.js';

/** Seconds a bound pod's node has to stop it when the pod does not say. */
const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

function nodeNameCauses(cur: KubeObject, next: KubeObject): FieldCause[] {
  const was = (cur.spec as PodSpec).nodeName;
  const now = (next.spec as PodSpec).nodeName;
  if (was === undefined || was === now) return [];
  return [
    {
      field: 'spec.nodeName',
      message: `field is immutable once set (bound to "${was}")`,
      reason: 'FieldValueForbidden',
    },
  ];
}

/** The rules of `v1 Pod`. */
export function podStrategy(deps: StrategyDeps): KindRules {
  return {
    applyDefaults: (obj) => (obj.spec ? { ...obj, spec: defaultPodSpec(obj.spec as PodSpec) } : obj),
    statusOnCreate: () => ({ phase: 'Pending' }),
    // A manifest applied again has no `nodeName`: the binding the scheduler wrote is kept.
    prepareForUpdate: (cur, body) => {
      const was = (cur.spec as { nodeName?: string }).nodeName;
      const spec = body.spec as { nodeName?: string };
      return was !== undefined && spec.nodeName === undefined ? { ...body, spec: { ...spec, nodeName: was } } : body;
    },
    validate: (obj) => [
      ...podSpecCauses(obj.spec as PodSpec, 'spec'),
      ...requestTimeoutCauses(obj.metadata.annotations),
    ],
    validateUpdate: nodeNameCauses,
    // Pod Security admission against the pod's namespace's `pod-security.kubernetes.io/*` labels.
    admit: async (obj, cur) => {
      admitImages('Pod', obj.metadata.name ?? '', 'spec', obj.spec as PodSpec, cur?.spec as PodSpec | undefined);
      const ns = await deps.namespace(obj.metadata.namespace ?? 'default');
      admitPodSecurity(ns?.metadata.labels, obj as Pod, cur as Pod | undefined);
    },
    // A pod bound to a node and not finished is stopped by that node, which confirms its deletion.
    nodeGraceSeconds: (obj) => {
      const pod = obj as Pod;
      if (pod.spec.nodeName === undefined || isPodTerminal(pod)) return undefined;
      return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
    },
  };
}

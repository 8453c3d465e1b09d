/** ReplicaSets, Deployments, DaemonSets and Jobs: defaulted specs and pod templates, selector rules. */
import type { FieldCause, KubeObject, PodSpec } from '../../../api/index.js';
import { admitImages, jobCauses, workloadCauses } from '../checks.js';
import {
  defaultDaemonSetSpec,
  defaultDeploymentSpec,
  defaultJobSpec,
  defaultTemplate,
  type Json,
} from '../defaults.js';
import type { KindRules } from './strategy.js';

const workloadSpecCauses = (obj: KubeObject): FieldCause[] =>
  workloadCauses(obj.spec as Parameters<typeof workloadCauses>[0]);

/** A workload kind's rules: how its spec is defaulted and validated. */
function workloadStrategy(
  defaults: (spec: Json, obj: KubeObject) => Json,
  validate: (obj: KubeObject) => FieldCause[],
): KindRules {
  return {
    applyDefaults: (obj) => {
      const spec = obj.spec as Json | undefined;
      return spec ? { ...obj, spec: defaults(spec, obj) } : obj;
    },
    validate,
    admit: (obj, cur) => {
      const template = (o: KubeObject | undefined): PodSpec | undefined =>
        (o?.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
      const spec = template(obj);
      if (spec) admitImages(obj.kind, obj.metadata.name ?? '', 'spec.template.spec', spec, template(cur));
      return Promise.resolve();
    },
  };
}

/** The rules of `apps/v1 ReplicaSet`. */
export const replicaSetStrategy = workloadStrategy(
  (spec) => defaultTemplate({ ...spec, replicas: spec.replicas ?? 1 }),
  workloadSpecCauses,
);
/** The rules of `apps/v1 Deployment`. */
export const deploymentStrategy = workloadStrategy(defaultDeploymentSpec, workloadSpecCauses);
/** The rules of `apps/v1 DaemonSet`. */
export const daemonSetStrategy = workloadStrategy(defaultDaemonSetSpec, workloadSpecCauses);
/** The rules of `batch/v1 Job` (its generated selector is derived from its uid). */
export const jobStrategy = workloadStrategy(
  (spec, obj) => defaultJobSpec(spec, obj.metadata.uid),
  (obj) => jobCauses(obj.spec as Parameters<typeof jobCauses>[0]),
);

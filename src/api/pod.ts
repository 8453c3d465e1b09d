/**
 * v1 Pod: the supported subset of the Kubernetes Pod spec, and the status the edge node reports.
 * A container's own fields (env, ports, resources, probes) are container.ts's.
 */
import { z } from 'zod';
import { Condition, LabelSelector, ObjectMeta, objectShape } from './meta.js';
import { MAX_DURATION_SECONDS, Seconds } from './duration.js';
import { PodSecurityContext } from './security-context.js';
import { LocalObjectReference, Volume } from './volumes.js';
import { defaultRuntimeClass as runtimeClassOf } from './object-facts.js';
import { Container } from './container.js';

export * from './container.js';
export * from './security-context.js';
export * from './volumes.js';

export const RuntimeClassName = z.enum(['wasm', 'oci']);
export type RuntimeClassName = z.infer<typeof RuntimeClassName>;

export const RestartPolicy = z.enum(['Always', 'OnFailure', 'Never']);
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const Toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  // Kubernetes treats zero and negative as "evict at once"; bounded both ways so it stays a usable timer.
  tolerationSeconds: Seconds(-MAX_DURATION_SECONDS).optional(),
});
export type Toleration = z.infer<typeof Toleration>;

export const PodSpec = z
  .strictObject({
    containers: z.array(Container).min(1).describe('The containers of the pod; at least one.'),
    volumes: z
      .array(Volume)
      .optional()
      .describe('Volumes the containers may mount: ConfigMaps, Secrets, emptyDir, hostPath.'),
    /** Registry credentials (`kubernetes.io/dockerconfigjson` Secrets) for both runtimes' pulls. */
    imagePullSecrets: z.array(LocalObjectReference).optional(),
    runtimeClassName: RuntimeClassName.optional().describe(
      'The runtime: wasm or oci; by default wasm for a `.wasm` image, else oci.',
    ),
    nodeSelector: z
      .record(z.string(), z.string())
      .optional()
      .describe('Labels a node must carry for the pod to be scheduled on it.'),
    nodeName: z.string().optional().describe('The node the pod is bound to; set by the scheduler unless given.'),
    schedulerName: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The scheduler that places the pod: `default-scheduler` (the hub's, also when absent) or another, " +
          "which binds it through the `pods/binding` subresource; the hub's scheduler leaves such a pod alone.",
      ),
    dnsPolicy: z
      .enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default'])
      .optional()
      .describe(
        'ClusterFirst (the default), ClusterFirstWithHostNet or Default. Accepted as kubectl sends it (`kubectl run`); ' +
          'Edgeplane has no cluster DNS (a Service is reached through the mesh by name), so the three behave alike. ' +
          '`None` needs `dnsConfig`, which is not supported.',
      ),
    restartPolicy: RestartPolicy.optional().describe(
      'Always (the default), OnFailure or Never: whether exited containers are restarted.',
    ),
    /** Containers share the node's network namespace (OCI pods; Wasm pods have no network of their own). */
    hostNetwork: z.boolean().optional(),
    terminationGracePeriodSeconds: Seconds(0)
      .optional()
      .describe('Seconds a container is given to stop after it is asked to, before it is killed (default 30).'),
    tolerations: z.array(Toleration).optional().describe('Taints of nodes the pod tolerates.'),
    securityContext: PodSecurityContext.optional().describe('Security options of every container of the pod.'),
  })
  .superRefine((spec, ctx) => {
    // As the API server: volume names are unique, every mount names a volume, mount paths are unique.
    const names = new Set<string>();
    spec.volumes?.forEach((v, i) => {
      if (names.has(v.name))
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: `Duplicate value: "${v.name}"` });
      names.add(v.name);
    });
    spec.containers.forEach((c, ci) => {
      const paths = new Set<string>();
      c.volumeMounts?.forEach((m, mi) => {
        const at = ['containers', ci, 'volumeMounts', mi];
        if (!names.has(m.name))
          ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `Not found: "${m.name}"` });
        if (paths.has(m.mountPath))
          ctx.addIssue({ code: 'custom', path: [...at, 'mountPath'], message: 'must be unique' });
        paths.add(m.mountPath);
      });
    });
  });
export type PodSpec = z.infer<typeof PodSpec>;

export const PodPhase = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
export type PodPhase = z.infer<typeof PodPhase>;

/** Exactly one of waiting/running/terminated is set, as in Kubernetes. */
export const ContainerState = z.strictObject({
  waiting: z.strictObject({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.strictObject({ startedAt: z.string().optional() }).optional(),
  terminated: z
    .strictObject({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
    })
    .optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;

export const ContainerStatus = z.strictObject({
  name: z.string(),
  image: z.string(),
  imageID: z.string().optional(),
  containerID: z.string().optional(),
  ready: z.boolean(),
  started: z.boolean().optional(),
  restartCount: z.number().int(),
  state: ContainerState.optional(),
  lastState: ContainerState.optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const PodStatus = z.strictObject({
  phase: PodPhase.optional(),
  conditions: z.array(Condition).optional(),
  containerStatuses: z.array(ContainerStatus).optional(),
  hostIP: z.string().optional(),
  podIP: z.string().optional(),
  startTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type PodStatus = z.infer<typeof PodStatus>;

export const Pod = z
  .strictObject({
    ...objectShape('v1', 'Pod'),
    spec: PodSpec.describe('The wanted pod: its containers, volumes and where it may run.'),
    status: PodStatus.optional().describe('The observed state, reported by the node that runs the pod. Read-only.'),
  })
  .describe('Pod is one or more containers (Wasm components or OCI containers) run together on one node.');
export type Pod = z.infer<typeof Pod>;

/** `metadata` + `spec` of pods a workload stamps out. */
export const PodTemplateSpec = z.strictObject({
  metadata: ObjectMeta.optional().describe('Labels and annotations of the pods made from this template.'),
  spec: PodSpec.describe('The spec of the pods made from this template.'),
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpec>;

export { LabelSelector };

/** The runtime a pod runs on: explicit `runtimeClassName`, else `wasm` for a `.wasm` image, else `oci`. */
export function defaultRuntimeClass(spec: PodSpec): RuntimeClassName {
  return runtimeClassOf(spec);
}

/** True when a pod has finished for good (no restart will follow). */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** True when the pod's `Ready` condition is `True`. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * A pod's container (v1 Container): image, command, env (values and references), ports, resources,
 * mounts, security context and probes. The pod around it is pod.ts's.
 */
import { z } from 'zod';
import { DnsLabel } from './meta.js';
import { CpuQuantity, MemoryQuantity } from './quantity.js';
import { Seconds } from './duration.js';
import { SecurityContext } from './security-context.js';
import { EnvFromSource, KeySelector, VolumeMount } from './volumes.js';

/** Field paths a container's env may read through `valueFrom.fieldRef`. */
export const FIELD_REF_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'status.hostIP',
] as const;

export const EnvVar = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, { message: 'must be a valid environment variable name' }),
    value: z.string().optional(),
    valueFrom: z
      .strictObject({
        fieldRef: z
          .strictObject({
            apiVersion: z.literal('v1').optional(),
            fieldPath: z.enum(FIELD_REF_PATHS),
          })
          .optional(),
        configMapKeyRef: KeySelector.optional(),
        secretKeyRef: KeySelector.optional(),
      })
      .refine((f) => [f.fieldRef, f.configMapKeyRef, f.secretKeyRef].filter((x) => x !== undefined).length === 1, {
        message: 'must specify exactly one of fieldRef, configMapKeyRef and secretKeyRef',
      })
      .optional(),
  })
  .refine((e) => !(e.value !== undefined && e.valueFrom !== undefined), {
    message: 'may not have both value and valueFrom',
  });
export type EnvVar = z.infer<typeof EnvVar>;

export const ContainerPort = z.strictObject({
  name: z.string().max(15).optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.literal('TCP').optional(),
});
export type ContainerPort = z.infer<typeof ContainerPort>;

const ResourceList = z.strictObject({ cpu: CpuQuantity.optional(), memory: MemoryQuantity.optional() });

export const ResourceRequirements = z.strictObject({
  requests: ResourceList.optional(),
  limits: ResourceList.optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

/** A container port by number, or by the `name` of one of the container's `ports` (IANA_SVC_NAME). */
export const PortNumberOrName = z.union([
  z.number().int().min(1).max(65535),
  z
    .string()
    .max(15)
    .regex(/^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      message: 'must be a port number or a port name (IANA_SVC_NAME)',
    }),
]);
export type PortNumberOrName = z.infer<typeof PortNumberOrName>;

/** `httpGet` probe handler; `path` and `scheme` are defaulted as the Kubernetes API server does. */
export const HTTPGetAction = z.strictObject({
  path: z.string().default('/'),
  port: PortNumberOrName,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
  httpHeaders: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
});
export type HTTPGetAction = z.infer<typeof HTTPGetAction>;

export const TCPSocketAction = z.strictObject({ port: PortNumberOrName, host: z.string().optional() });
export type TCPSocketAction = z.infer<typeof TCPSocketAction>;

export const ExecAction = z.strictObject({ command: z.array(z.string()).min(1) });
export type ExecAction = z.infer<typeof ExecAction>;

/**
 * A health probe with Kubernetes' fields and defaults (period 10 s, timeout 1 s, success threshold 1,
 * failure threshold 3) and exactly one handler.
 */
export const Probe = z
  .strictObject({
    exec: ExecAction.optional(),
    httpGet: HTTPGetAction.optional(),
    tcpSocket: TCPSocketAction.optional(),
    initialDelaySeconds: Seconds(0).optional(),
    timeoutSeconds: Seconds(1).default(1),
    periodSeconds: Seconds(1).default(10),
    successThreshold: z.number().int().min(1).default(1),
    failureThreshold: z.number().int().min(1).default(3),
    /** Grace of the stop after a liveness/startup failure (overrides the pod's). */
    terminationGracePeriodSeconds: Seconds(1).optional(),
  })
  .superRefine((p, ctx) => {
    const handlers = [p.exec, p.httpGet, p.tcpSocket].filter((h) => h !== undefined).length;
    if (handlers === 0)
      ctx.addIssue({ code: 'custom', message: 'must specify a handler type (httpGet, tcpSocket or exec)' });
    if (handlers > 1) ctx.addIssue({ code: 'custom', message: 'may not specify more than 1 handler type' });
  });
export type Probe = z.infer<typeof Probe>;

/** The three kinds of probe, as named in a Container. */
export const PROBE_FIELDS = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

export const Container = z
  .strictObject({
    name: DnsLabel.describe('Name of the container, unique in the pod (an RFC 1123 label).'),
    image: z
      .string()
      .min(1)
      .describe('The image: a Wasm component (a `.wasm` reference or an OCI artifact) or an OCI container image.'),
    command: z.array(z.string()).optional().describe("Entrypoint (argv[0] onwards); the image's own when not given."),
    args: z.array(z.string()).optional().describe("Arguments to the entrypoint; the image's own when not given."),
    workingDir: z.string().optional().describe("Working directory of the container's process."),
    env: z
      .array(EnvVar)
      .optional()
      .describe('Environment variables, literal or taken from ConfigMaps, Secrets and pod fields.'),
    envFrom: z
      .array(EnvFromSource)
      .optional()
      .describe('ConfigMaps and Secrets whose every key becomes an environment variable.'),
    volumeMounts: z.array(VolumeMount).optional().describe("The pod's volumes mounted into this container."),
    ports: z
      .array(ContainerPort)
      .optional()
      .describe('Ports the container listens on; Services target them by number or name.'),
    resources: ResourceRequirements.optional().describe(
      "CPU and memory requested (for scheduling) and limited (memory bounds a Wasm component's linear memory).",
    ),
    imagePullPolicy: z
      .enum(['Always', 'IfNotPresent', 'Never'])
      .optional()
      .describe('When the node pulls the image: Always, IfNotPresent or Never.'),
    livenessProbe: Probe.optional().describe('Check that restarts the container when it fails.'),
    readinessProbe: Probe.optional().describe('Check that decides whether the container receives Service traffic.'),
    startupProbe: Probe.optional().describe('Check that must succeed once before the other probes start.'),
    securityContext: SecurityContext.optional().describe(
      'Security options of this container (user, capabilities, seccomp, read-only root).',
    ),
    stdin: z
      .boolean()
      .optional()
      .describe('Keep a stdin open for the main process, which `kubectl attach -i` writes to (OCI containers).'),
    stdinOnce: z
      .boolean()
      .optional()
      .describe('Close that stdin when the first attach that wrote to it ends (as `kubectl run -i` sets it).'),
    tty: z
      .boolean()
      .optional()
      .describe('Run the main process on a terminal, which `kubectl attach -t` resizes (OCI containers).'),
  })
  .superRefine((c, ctx) => {
    // As Kubernetes: a liveness or startup probe succeeds once, or it is meaningless.
    for (const field of ['livenessProbe', 'startupProbe'] as const) {
      const threshold = c[field]?.successThreshold;
      if (threshold !== undefined && threshold !== 1)
        ctx.addIssue({ code: 'custom', path: [field, 'successThreshold'], message: 'must be 1' });
    }
  })
  .describe(
    'A container of a pod: a Wasm component or an OCI container, with its command, environment, ports, mounts, resources and probes.',
  );
export type Container = z.infer<typeof Container>;

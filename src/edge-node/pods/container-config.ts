/**
 * Translation of a pod's container spec into what a `Runtime` is asked to create: env (with
 * `valueFrom.fieldRef`, over the env the node adds: Service env vars and its HTTP proxy), parsed limits, declared ports, the CRI log path, and a hash that tells the
 * worker when a running container no longer matches its spec.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { cpuMillis, effectiveSecurity, memoryBytes, podRequestTimeoutMs } from '../../api/index.js';
import type { Container, ContainerConfig, KeySelector, Pod, PulledImage, VolumeMountConfig } from '../../api/index.js';

/** What env resolution needs to know about the node. */
export interface NodeFacts {
  nodeName: string;
  hostIP: string;
}

/** Resolves a `configMapKeyRef`/`secretKeyRef`; undefined leaves the variable unset (an optional one missing). */
export type KeyRefResolver = (kind: 'ConfigMap' | 'Secret', sel: KeySelector) => string | undefined;

/**
 * Resolves a container's env: literal `value`s, `valueFrom.fieldRef` paths and key references
 * (later entries win, as in Kubernetes). Without `keyRef`, key references resolve to nothing.
 */
export function resolveEnv(
  pod: Pod,
  container: Container,
  node: NodeFacts,
  keyRef?: KeyRefResolver,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = e.value;
      continue;
    }
    const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
    if (ref) {
      const v = keyRef?.(e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret', ref);
      if (v !== undefined) env[e.name] = v;
      continue;
    }
    const field = e.valueFrom?.fieldRef?.fieldPath;
    switch (field) {
      case 'metadata.name':
        env[e.name] = pod.metadata.name ?? '';
        break;
      case 'metadata.namespace':
        env[e.name] = pod.metadata.namespace ?? 'default';
        break;
      case 'metadata.uid':
        env[e.name] = pod.metadata.uid ?? '';
        break;
      case 'spec.nodeName':
        env[e.name] = pod.spec.nodeName ?? node.nodeName;
        break;
      case 'status.hostIP':
        env[e.name] = node.hostIP;
        break;
      default:
        env[e.name] = '';
    }
  }
  return env;
}

/** Parses `resources.limits` into the runtime's units; absent limits stay undefined (unbounded). */
export function parseLimits(container: Container): ContainerConfig['limits'] {
  const limits = container.resources?.limits;
  const out: ContainerConfig['limits'] = {};
  if (limits?.cpu !== undefined) out.cpuMillis = cpuMillis(limits.cpu);
  if (limits?.memory !== undefined) out.memoryBytes = memoryBytes(limits.memory);
  return out;
}

/** Directory of a pod's container logs, named as the kubelet names it: `<ns>_<pod>_<uid>`. */
export function podLogDir(dataDir: string, pod: { namespace: string; name: string; uid: string }): string {
  return path.join(dataDir, 'logs', `${safe(pod.namespace)}_${safe(pod.name)}_${safe(pod.uid)}`);
}

/** Log file of one container instance: `<podLogDir>/<container>/<restartCount>.log`. */
export function containerLogPath(
  dataDir: string,
  pod: { namespace: string; name: string; uid: string },
  container: string,
  restartCount: number,
): string {
  return path.join(podLogDir(dataDir, pod), safe(container), `${restartCount}.log`);
}

/** Keeps a name usable as one path segment, whatever the hub sent. */
export function safe(segment: string): string {
  const cleaned = segment.replace(/[^A-Za-z0-9._-]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

/**
 * Hash of everything that, when changed, requires a new container (the kubelet's container hash).
 * Env is hashed after resolution, so a change of node facts does not restart anything.
 */
export function containerSpecHash(container: Container, runtimeName: string): string {
  const relevant = {
    runtimeName,
    image: container.image,
    command: container.command ?? [],
    args: container.args ?? [],
    env: container.env ?? [],
    envFrom: container.envFrom ?? [],
    volumeMounts: container.volumeMounts ?? [],
    ports: (container.ports ?? []).map((p) => p.containerPort),
    limits: container.resources?.limits ?? {},
    workingDir: container.workingDir ?? '',
    ...(container.stdin ? { stdin: container.stdinOnce ? 'once' : true } : {}),
    ...(container.tty ? { tty: true } : {}),
    ...(container.securityContext ? { securityContext: container.securityContext } : {}),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/** A new container instance id (unique per restart, as the Runtime contract requires). */
export function newContainerId(podUid: string, container: string): string {
  return `${safe(podUid).slice(0, 8)}-${safe(container)}-${randomUUID().slice(0, 8)}`;
}

/** The `ContainerConfig` for one instance of `container`. */
export function buildContainerConfig(args: {
  id: string;
  pod: Pod;
  podRef: { namespace: string; name: string; uid: string };
  container: Container;
  image: PulledImage;
  node: NodeFacts;
  dataDir: string;
  restartCount: number;
  /** Env the node adds (Service env vars, HTTP proxy); the container's own env wins over it. */
  nodeEnv?: Record<string, string>;
  /** What the container's ConfigMaps, Secrets and volumes give it. */
  parts?: {
    envFrom: Record<string, string>;
    keyRef: KeyRefResolver;
    config: Record<string, string>;
    mounts: VolumeMountConfig[];
  };
}): ContainerConfig {
  const { container, parts } = args;
  const requestTimeoutMs = podRequestTimeoutMs(args.pod.metadata.annotations);
  return {
    id: args.id,
    pod: args.podRef,
    name: container.name,
    image: args.image,
    command: container.command ?? [],
    args: container.args ?? [],
    // As the kubelet: Service env, then envFrom, then env (later wins).
    env: { ...args.nodeEnv, ...parts?.envFrom, ...resolveEnv(args.pod, container, args.node, parts?.keyRef) },
    ports: (container.ports ?? []).map((p) => p.containerPort),
    limits: parseLimits(container),
    logPath: containerLogPath(args.dataDir, args.podRef, container.name, args.restartCount),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    ...(container.stdin ? { stdin: { once: container.stdinOnce === true } } : {}),
    ...(container.tty ? { tty: true } : {}),
    ...(args.pod.spec.hostNetwork ? { hostNetwork: true } : {}),
    security: effectiveSecurity(args.pod.spec.securityContext, container.securityContext),
    ...(parts && parts.mounts.length > 0 ? { mounts: parts.mounts } : {}),
    ...(parts && Object.keys(parts.config).length > 0 ? { config: parts.config } : {}),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
  };
}

/**
 * Resolves a Service `targetPort` against a container: a number is taken as is when the container
 * declares it; a name must match a declared `containerPort` name. Undefined when the container does
 * not serve it.
 */
export function resolveContainerPort(container: Container, targetPort: number | string): number | undefined {
  const ports = container.ports ?? [];
  if (typeof targetPort === 'number') return ports.some((p) => p.containerPort === targetPort) ? targetPort : undefined;
  const asNumber = /^[0-9]+$/.test(targetPort) ? Number(targetPort) : undefined;
  if (asNumber !== undefined) return resolveContainerPort(container, asNumber);
  return ports.find((p) => p.name === targetPort)?.containerPort;
}

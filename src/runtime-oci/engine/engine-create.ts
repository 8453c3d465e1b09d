/**
 * The body of `POST /containers/create` for a pod's container: image, environment, the node's labels,
 * Kubernetes' command/args rules, networking and limits, the `securityContext` fields and the pod's
 * volumes as bind `Mounts`.
 */
import type { OciContainerSpec } from '../adapter.js';
import { securityHostConfig } from './engine-security.js';

/** Labels a container with the node that created it, so nodes sharing a daemon keep apart. */
export const NODE_LABEL = 'io.edgeplane.node';
/** Labels a container with the agent's container id. */
export const ID_LABEL = 'io.edgeplane.container-id';
/** Labels a container with its CRI log file, so an agent that adopts it writes on there (issue 20). */
export const LOG_LABEL = 'io.edgeplane.container.log-path';

/** The node's settings a container is created with. */
export interface CreateSettings {
  nodeName: string;
  /** The daemon network pods join (default `bridge`). */
  network?: string | undefined;
  /** Most processes a container may have; 0 = the daemon's default; default 1024. */
  pidsLimit?: number | undefined;
  /** The `User` to run as (see `containerUser`); the image's when undefined. */
  user: string | undefined;
}

/** The create request's body. */
export function createContainerBody(spec: OciContainerSpec, settings: CreateSettings): Record<string, unknown> {
  const host: Record<string, unknown> = {
    NetworkMode: spec.hostNetwork ? 'host' : (settings.network ?? 'bridge'),
    RestartPolicy: { Name: 'no' },
  };
  if (spec.limits.memoryBytes !== undefined) host.Memory = spec.limits.memoryBytes;
  if (spec.limits.cpuMillis !== undefined) host.NanoCpus = spec.limits.cpuMillis * 1_000_000;
  const pids = settings.pidsLimit ?? 1024;
  if (pids > 0) host.PidsLimit = pids;
  Object.assign(host, securityHostConfig(spec.security));
  // The pod's volumes, prepared by the agent on this machine (the daemon runs here too).
  if (spec.mounts && spec.mounts.length > 0)
    host.Mounts = spec.mounts.map((m) => ({
      Type: 'bind',
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readOnly,
    }));
  const body: Record<string, unknown> = {
    Image: spec.image.digest,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, [NODE_LABEL]: settings.nodeName, [ID_LABEL]: spec.id, [LOG_LABEL]: spec.logPath },
    HostConfig: host,
  };
  // Kubernetes' rules: `command` replaces the entrypoint and drops the image's cmd; `args` replaces the cmd.
  if (spec.command.length > 0) body.Entrypoint = spec.command;
  if (spec.args.length > 0 || spec.command.length > 0) body.Cmd = spec.args;
  if (spec.workingDir) body.WorkingDir = spec.workingDir;
  if (!spec.hostNetwork) body.Hostname = spec.pod.name.slice(0, 63);
  if (settings.user !== undefined) body.User = settings.user;
  // For kubectl attach: the daemon keeps the main process's stdin open (closed after the first
  // attach with StdinOnce) and runs it on a terminal.
  if (spec.stdin) {
    body.OpenStdin = true;
    body.StdinOnce = spec.stdin.once;
  }
  if (spec.tty) body.Tty = true;
  return body;
}

/**
 * The OCI runtime adapter interface. An `OciRuntime` (the `Runtime` for `runtimeClassName: oci`) holds
 * one adapter chosen by the node's `--oci-runtime` flag — runc (daemonless, for Pi-class devices) or
 * the Docker Engine API over a unix socket (dockerd, `podman system service`) — and never branches on
 * which. Each adapter owns everything behind the seam: how images are pulled and stored, how a
 * container is networked, where its output goes (the CRI log file it is given) and how its exit is
 * observed.
 */
import type {
  ContainerConfig,
  ContainerStats,
  ExecProcess,
  ExecResult,
  AttachOptions,
  ExecStreamOptions,
  PulledImage,
} from '../api/index.js';
import type { Platform, RegistryAuth } from '../distribution/index.js';

export type { ExecResult };

/** Options of a pull. */
export interface PullOpts {
  signal?: AbortSignal;
  /** Credentials for the image's registry, overriding the node's (for `imagePullSecrets`). */
  auth?: RegistryAuth;
}

/**
 * What the adapter needs to create a container: the agent's ContainerConfig (the id its containers
 * are named after; `command` and `args` override the image's entrypoint and cmd as in Kubernetes),
 * with `hostNetwork` and the effective `securityContext` always set, less what only the Wasm runtime
 * reads (`config`, `requestTimeoutMs`), plus the labels the adapter puts on it. `mounts` are the pod's
 * prepared volumes, bind-mounted at `containerPath` (read-only where `readOnly`); a configMap or secret
 * volume is its directory, not its files, so updates show inside the running container.
 */
export type OciContainerSpec = Pick<ContainerConfig, OciSpecFields> &
  Required<Pick<ContainerConfig, 'hostNetwork' | 'security'>> & { labels: Record<string, string> };

/** The fields of a ContainerConfig an adapter reads as they are. */
type OciSpecFields =
  | 'id'
  | 'pod'
  | 'name'
  | 'image'
  | 'command'
  | 'args'
  | 'env'
  | 'workingDir'
  | 'stdin'
  | 'tty'
  | 'ports'
  | 'limits'
  | 'logPath'
  | 'mounts';

/** Observed state of a container. */
export interface OciContainerState {
  id: string;
  state: 'created' | 'running' | 'exited' | 'unknown';
  pid?: number;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  oomKilled?: boolean;
}

/** A container's process ended (on its own, killed, or stopped). */
export interface OciExit {
  id: string;
  exitCode: number;
  /** RFC 3339 time of the exit. */
  finishedAt: string;
  oomKilled: boolean;
  /** What the adapter knows about why (a runtime error message), if anything. */
  message?: string;
}

/** A container an earlier run of the agent left, taken back by the adapter (`recover`). */
export interface OciAdopted {
  id: string;
  /** The labels it was created with (pod uid, container name, spec hash, restart count). */
  labels: Record<string, string>;
  /** Running, or exited while no agent ran (with its exit). */
  state: OciContainerState;
}

/** Where the node's proxy reaches a container's port. */
export interface OciEndpoint {
  host: string;
  port: number;
}

/** One OCI backend. Every method may throw an EdgeError subclass (ImagePullError, CreateContainerError, …). */
export interface OciRuntimeAdapter {
  /** `runc`, `docker`, `podman`. */
  readonly name: string;
  /** Makes the image present locally, resolved to `platform` and verified; cached by digest. */
  pull(ref: string, platform: Platform, opts?: PullOpts): Promise<PulledImage>;
  /** Prepares the container (rootfs, network, config) without starting its process. */
  create(spec: OciContainerSpec): Promise<void>;
  /** Starts the process; resolves once it runs, with the time it started. */
  start(id: string): Promise<{ startedAt: string }>;
  /** SIGTERM, then SIGKILL after `gracePeriodMs`; resolves once the process is gone. Idempotent. */
  stop(id: string, gracePeriodMs: number): Promise<void>;
  /** Removes the container and everything it held (bundle, mounts, cgroup, network namespace). Idempotent. */
  remove(id: string): Promise<void>;
  status(id: string): Promise<OciContainerState>;
  /** Runs `command` in the running container; rejects with TimeoutError past `timeoutMs` (the command is killed). */
  exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult>;
  /** Starts `command` in the running container with streamed stdio (interactive exec); optional. */
  execStream?(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess>;
  /** Joins the main process of a running container (`Runtime.attach`); optional. */
  attach?(id: string, opts: AttachOptions): Promise<ExecProcess>;
  /** Where the container's `port` is reached (valid once started). */
  endpoint(id: string, port: number): OciEndpoint;
  /** CPU time and working set of a running container (its cgroup); undefined when unknown or gone. */
  stats?(id: string): Promise<ContainerStats | undefined>;
  /**
   * The address containers on the adapter's own network reach the node at: the gateway of their
   * bridge (the node holds it). Undefined without such a network, or while it is not known yet.
   */
  gatewayAddress(): string | undefined;
  /** The address connections from container `id` come from (its pod's IP); undefined with host networking. */
  podIP(id: string): string | undefined;
  /** References and digests of images present locally. */
  listImages(): string[];
  /** Subscribes to process exits of containers started by this adapter; returns the unsubscribe function. */
  onExit(listener: (exit: OciExit) => void): () => void;
  /**
   * Takes back the containers an earlier run of the agent left running (issue 20: agent upgrades);
   * called before `sweep`, which then leaves them alone. Optional: without it, `sweep` removes them.
   */
  recover?(): Promise<OciAdopted[]>;
  /** Whether container `id` outlives the agent: the runtime's `close` may then leave it running. */
  keepsOnExit?(id: string): boolean;
  /**
   * Removes what a previous run of this node left behind (containers, mounts, network namespaces):
   * the agent starts every pod afresh, so nothing of an earlier run is still wanted.
   */
  sweep(): Promise<void>;
  /** Releases the adapter's own resources (connections); containers are the caller's to remove first. */
  close(): Promise<void>;
}

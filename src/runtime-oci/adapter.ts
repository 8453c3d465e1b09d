/**
 * The OCI runtime adapter interface. An `OciRuntime` (a `Runtime` for `runtimeClassName: oci`) holds
 * one adapter chosen by the node's `--oci-runtime` flag — runc (daemonless, for Pi-class devices) or
 * the Docker Engine API over a unix socket (dockerd, `podman system service`) — and never branches on
 * which. Adapters arrive with the OCI runtime issue; this file fixes the seam they plug into.
 */
import type { PulledImage } from '../api/index.js';

/** Platform an image must match (`linux`/`arm64`, …), from the node. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What the adapter needs to create a container. */
export interface OciContainerSpec {
  id: string;
  image: PulledImage;
  command: string[];
  args: string[];
  env: Record<string, string>;
  workingDir?: string;
  user?: string;
  ports: number[];
  limits: { cpuMillis?: number; memoryBytes?: number };
  hostNetwork: boolean;
  /** File receiving stdout/stderr in the CRI log format. */
  logPath: string;
  labels: Record<string, string>;
}

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

/** Result of running a command inside a container (exec probes, `edgectl exec`). */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One OCI backend. Every method may throw an EdgeError subclass (ImagePullError, CreateContainerError, …). */
export interface OciRuntimeAdapter {
  /** `runc`, `docker`, `podman`. */
  readonly name: string;
  pull(ref: string, platform: Platform, opts?: { signal?: AbortSignal; auth?: { username: string; password: string } }): Promise<PulledImage>;
  create(spec: OciContainerSpec): Promise<void>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `gracePeriodMs`. */
  stop(id: string, gracePeriodMs: number): Promise<void>;
  /** Removes the container and everything it held (bundle, cgroup, network namespace). */
  remove(id: string): Promise<void>;
  status(id: string): Promise<OciContainerState>;
  exec(id: string, command: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Where the node's proxy reaches the container's `port`. */
  endpoint(id: string, port: number): { host: string; port: number };
  /** Images present locally (refs and digests). */
  listImages(): Promise<string[]>;
}

/**
 * The `Runtime` interface: the seam between the edge-node agent and a workload runtime
 * (runtime-wasm, runtime-oci). Modelled on the kubelet's CRI: the agent decides *what* runs; a runtime
 * knows *how*. The agent never branches on which runtime it holds.
 */
import type { EffectiveSecurity } from './security-context.js';
import type { AttachOptions, ExecOptions, ExecProcess, ExecResult, ExecStreamOptions } from './runtime-exec.js';

export type * from './runtime-exec.js';

/** An HTTP request handed to a workload (in memory; bodies are whole for now). */
export interface WorkloadRequest {
  method: string;
  /** Path and query, e.g. `/api?x=1`. */
  path: string;
  /** `host[:port]` the client addressed. */
  authority: string;
  scheme: 'http' | 'https';
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** Deadline for the whole exchange, in ms from now. */
  timeoutMs?: number;
}

/** A workload's HTTP response. */
export interface WorkloadResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** How the node reaches a container's port. */
export type WorkloadEndpoint =
  | { kind: 'in-process'; handle(req: WorkloadRequest): Promise<WorkloadResponse> }
  | { kind: 'tcp'; host: string; port: number };

/** What the agent asks a runtime to create. */
export interface ContainerConfig {
  /** Unique per container instance (the agent makes a new id for each restart). */
  id: string;
  pod: { namespace: string; name: string; uid: string };
  name: string;
  /** The pulled image (as returned by `pullImage`). */
  image: PulledImage;
  command: string[];
  args: string[];
  env: Record<string, string>;
  ports: number[];
  /** Resource limits already parsed from quantities; undefined means unbounded. */
  limits: { cpuMillis?: number; memoryBytes?: number };
  /** File the runtime appends stdout/stderr to, in the CRI log format (`<RFC3339Nano> stdout|stderr F <line>`). */
  logPath: string;
  /** The container's `workingDir` (a container runtime falls back to the image's, then `/`). */
  workingDir?: string;
  /** Its main process keeps a stdin that attaches write to (`stdin`), closed after the first with `stdinOnce`. */
  stdin?: { once: boolean };
  /** Its main process runs on a terminal (`tty`). */
  tty?: boolean;
  /** The pod's `hostNetwork`: share the node's network namespace instead of a pod network of its own. */
  hostNetwork?: boolean;
  /** The container's `securityContext` merged over the pod's (container runtimes apply it; Wasm ignores it). */
  security?: EffectiveSecurity;
  /**
   * The container's volume mounts, already materialised by the agent on the node's disk (configMap and
   * secret volumes as kubelet-style `..data` symlink-swapped directories, emptyDirs as plain or memory
   * directories). Container runtimes bind-mount them; the Wasm runtime preopens them at `containerPath`.
   */
  mounts?: readonly VolumeMountConfig[];
  /**
   * The `wasi:config/store` entries of the container (from its `envFrom` ConfigMaps and Secrets, after
   * `prefix`). Container runtimes ignore it (they get the same values as env).
   */
  config?: Readonly<Record<string, string>>;
  /**
   * The pod's own request deadline in ms (its `edgeplane.io/request-timeout` annotation, see
   * request-deadline.ts); undefined: the node's. Runtimes that answer requests themselves (Wasm) apply it.
   */
  requestTimeoutMs?: number;
  /** What a later agent needs to take the container back (runtimes that keep containers across agent restarts). */
  adoption?: { specHash: string; restartCount: number };
}

/** A container an earlier run of the agent left, handed to the pod worker that wants it (issue 20). */
export interface AdoptedContainer {
  id: string;
  /** The spec hash it was created from: a changed spec replaces it. */
  specHash: string;
  restartCount: number;
  /** RFC 3339. */
  startedAt?: string;
}

/** One mount of a container, as the agent has prepared it on the node. */
export interface VolumeMountConfig {
  /** The volume's name in the pod spec (for messages). */
  volume: string;
  /** Absolute path on the node (a directory, or a file for a `subPath` of a file). */
  hostPath: string;
  /** Absolute path inside the container / the Wasm guest's filesystem. */
  containerPath: string;
  readOnly: boolean;
  /** For writable emptyDirs: the most bytes the guest may store (enforced by the runtime that writes). */
  sizeLimitBytes?: number;
  /** `emptyDir.medium: Memory`. */
  memory?: boolean;
}

/** The result of pulling an image. */
export interface PulledImage {
  /** The reference as written in the pod spec. */
  ref: string;
  /** `sha256:<hex>` of the content. */
  digest: string;
  sizeBytes: number;
}

/** A container's state as the runtime sees it. */
export interface ContainerRuntimeStatus {
  id: string;
  state: 'created' | 'running' | 'exited';
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Short CamelCase reason (`Completed`, `Error`, `OOMKilled`, `DeadlineExceeded`, `Trap`). */
  reason?: string;
  message?: string;
}

/** Something happened to a container without the agent asking (it exited, trapped, overran). */
export interface ContainerEvent {
  type: 'exited';
  status: ContainerRuntimeStatus;
}

/** Options for pulls. */
export interface PullOptions {
  signal?: AbortSignal;
  /**
   * The pod's `imagePullSecrets`, decoded: each a Docker `config.json` document (`{"auths": {...}}`, the
   * `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret). Tried before the node's own
   * credentials for the image's registry. Never logged.
   */
  pullSecrets?: readonly string[];
}

/**
 * How the node and a runtime's containers reach each other over IP: for runtimes whose workloads are
 * network peers of the node (OCI containers), unlike in-process ones (Wasm components).
 */
export interface WorkloadNetwork {
  /**
   * The node's address as the containers of a pod see it (`hostNetwork`: the pod shares the node's
   * network): the pod bridge's gateway, or a loopback address. The node's listeners for pods (Service
   * ports, the HTTP proxy) are bound there. Undefined while not known.
   */
  nodeAddress(hostNetwork: boolean): string | undefined;
  /** The address connections from container `id` come from (its pod's own IP); undefined with the node's network or when unknown. */
  podIP(id: string): string | undefined;
}

/** A container's resource usage at one moment (`Runtime.containerUsage`). */
export interface ContainerStats {
  /** CPU time used since the container started, in nanoseconds (monotonic; the agent takes rates). */
  cpuUsageNanoSeconds: number;
  /** Memory in use now that cannot be reclaimed at once (Kubernetes' working set), in bytes. */
  memoryWorkingSetBytes: number;
}

/** Implemented by runtime-wasm and runtime-oci. Every method may throw an EdgeError subclass. */
export interface Runtime {
  /** The `runtimeClassName` this runtime serves. */
  readonly name: string;
  /** Fetches and verifies an image (cached by digest); throws ImagePullError on failure. */
  pullImage(ref: string, opts?: PullOptions): Promise<PulledImage>;
  /** Prepares a container (for Wasm: transpile/compile); throws CreateContainerError on failure. */
  createContainer(config: ContainerConfig): Promise<void>;
  /** Starts a created container; resolves once it is running. */
  startContainer(id: string): Promise<void>;
  /** Stops it: SIGTERM-like first, forced after `gracePeriodMs`. Idempotent. */
  stopContainer(id: string, gracePeriodMs: number): Promise<void>;
  /** Releases everything the container held. Idempotent. */
  removeContainer(id: string): Promise<void>;
  /** Current state, or undefined when unknown to the runtime. */
  containerStatus(id: string): ContainerRuntimeStatus | undefined;
  /** How to deliver traffic to the container's `port`. */
  endpoint(id: string, port: number): WorkloadEndpoint;
  /**
   * Runs `command` in the container's context and returns its exit code and output. For a Wasm
   * container: a fresh instance of the container's component, its `wasi:cli/run` export called with
   * `command` as arguments and the container's env. Rejects with TimeoutError past `timeoutMs`.
   * Optional: a runtime without it makes exec probes fail with a clear message.
   */
  exec?(id: string, command: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /**
   * Starts `command` in the container's context with its stdio as streams, for interactive exec.
   * Rejects when `opts` asks for what the runtime cannot give (say, a tty), naming it.
   * Optional: without it, the node serves only non-interactive exec (through `exec`).
   */
  execStream?(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess>;
  /**
   * Joins the main process of a running container (kubectl `attach -i/-t`): its output from now on,
   * its stdin (when started with one) and its terminal's size. `kill` detaches (the container runs
   * on); `exited` resolves with the container's exit code when it exits, or 0 once detached.
   * Optional: without it, attach gives only the container's log.
   */
  attach?(id: string, opts: AttachOptions): Promise<ExecProcess>;
  /**
   * How its containers reach the node over IP. Optional: a runtime without it (Wasm, whose outgoing
   * calls go through the `OutgoingHttpHandler`) gets no Service env vars or HTTP proxy setting.
   */
  network?(): WorkloadNetwork;
  /**
   * What the container has used so far, for metrics and autoscaling (Wasm: guest execution time
   * measured by the executors, linear memory plus instance overhead; containers: their cgroup).
   * Undefined when the container is unknown or not running. Optional: a runtime without it reports no
   * usage for its containers.
   */
  containerUsage?(id: string): Promise<ContainerStats | undefined>;
  /** Subscribes to unsolicited container events; returns the unsubscribe function. */
  subscribe(listener: (event: ContainerEvent) => void): () => void;
  /** References of images present locally (for the scheduler's locality score). */
  listImages(): string[];
  /**
   * Hands over the container of pod `podUid` named `container` that an earlier run of the agent left
   * (once: the caller owns it from then on). Optional: a runtime without it keeps nothing across restarts.
   */
  adopt?(podUid: string, container: string): AdoptedContainer | undefined;
  /** Removes the containers of an earlier run that nobody adopted, except those of pods in `keepPodUids`. */
  releaseUnadopted?(keepPodUids: ReadonlySet<string>): Promise<void>;
  /** Stops every container and frees resources (a runtime may leave those that outlive the agent, if told to). */
  close(): Promise<void>;
}

/** The pod (and container) a workload's outgoing call comes from. */
export interface OutgoingCaller {
  namespace: string;
  name: string;
  uid: string;
  container: string;
}

/**
 * Resolves and delivers a workload's outgoing HTTP request (a Wasm guest's
 * `wasi:http/outgoing-handler` call, or `fetch()` in a JavaScript component), supplied by the node:
 * `http://<service>[.<namespace>[.svc[.cluster.local]]]:<port>` goes to a ready endpoint through the
 * mesh; any other destination only when the caller's pod allows it. `req.authority` is the
 * `host[:port]` the guest addressed, `req.timeoutMs` what is left of the caller's own deadline.
 * Resolves with the whole response; rejects with an `OutgoingHttpError` (any other rejection is an
 * internal error).
 */
export type OutgoingHttpHandler = (caller: OutgoingCaller, req: WorkloadRequest) => Promise<WorkloadResponse>;

/**
 * `OciRuntime`: the `Runtime` for `runtimeClassName: oci`. It translates the agent's requests for
 * one adapter (runc, or the Engine API of dockerd / podman) and keeps what the `Runtime` contract
 * wants synchronously — each container's status, its endpoint — up to date from the adapter's exit
 * notifications. It never looks at which adapter it holds.
 */
import { CreateContainerError, ServiceUnavailableError, errorMessage } from '../api/index.js';
import type {
  AdoptedContainer,
  ContainerConfig,
  ContainerEvent,
  ContainerStats,
  ContainerRuntimeStatus,
  ExecProcess,
  ExecResult,
  AttachOptions,
  ExecStreamOptions,
  Logger,
  PullOptions,
  PulledImage,
  Runtime,
  WorkloadEndpoint,
  WorkloadNetwork,
} from '../api/index.js';
import type { Platform } from '../distribution/index.js';
import type { OciAdopted, OciExit, OciRuntimeAdapter } from './adapter.js';
import { LABELS, adoptedStatus, claimAdopted } from './oci-adopted.js';
import { hostLoopback } from './network/host-loopback.js';
import { pullSecretAuth } from './pull-secret-auth.js';

/** Dependencies of {@link OciRuntime.create}. */
export interface OciRuntimeDeps {
  adapter: OciRuntimeAdapter;
  /** The node's platform: images are resolved to it. */
  platform: Platform;
  logger: Logger;
  /** Run every pod with the node's network (`--oci-network host`), whatever the pod says. */
  hostNetwork?: boolean;
  /** The node's address: host-network containers reach the node at it when it is a loopback one, else at 127.0.0.1. */
  nodeAddress?: string;
  /** Grace of the stops `close()` makes (default 2 s). */
  closeGraceMs?: number;
  /**
   * `close()` leaves the containers that outlive the agent running, for the next agent to adopt
   * (`--oci-on-exit keep`: agent upgrades without container restarts). Default: stop and remove all.
   */
  keepContainersOnExit?: boolean;
}

export { LABELS };

/** The OCI container runtime. */
export class OciRuntime implements Runtime {
  readonly name = 'oci';
  readonly #statuses = new Map<string, ContainerRuntimeStatus>();
  readonly #listeners = new Set<(event: ContainerEvent) => void>();
  readonly #unsubscribe: () => void;
  #closed = false;
  readonly #network: WorkloadNetwork;
  /** Containers of an earlier run taken back by the adapter and not yet claimed by a pod worker. */
  readonly #unclaimed = new Map<string, OciAdopted>();

  private constructor(
    private readonly deps: OciRuntimeDeps,
    recovered: readonly OciAdopted[] = [],
  ) {
    for (const c of recovered) {
      this.#unclaimed.set(c.id, c);
      this.#statuses.set(c.id, adoptedStatus(c));
    }
    this.#unsubscribe = deps.adapter.onExit((exit) => this.#exited(exit));
    const loopback = hostLoopback(deps.nodeAddress);
    this.#network = {
      nodeAddress: (hostNetwork) =>
        hostNetwork || deps.hostNetwork === true ? loopback : deps.adapter.gatewayAddress(),
      podIP: (id) => deps.adapter.podIP(id),
    };
  }

  /**
   * Takes back what an earlier run of the node left running that the adapter can follow (for the pod
   * workers to adopt), removes the rest, then serves.
   */
  static async create(deps: OciRuntimeDeps): Promise<OciRuntime> {
    const logger = deps.logger.child({ runtime: 'oci', adapter: deps.adapter.name });
    const recovered = (await deps.adapter.recover?.()) ?? [];
    await deps.adapter.sweep();
    return new OciRuntime({ ...deps, logger }, recovered);
  }

  adopt(podUid: string, container: string): AdoptedContainer | undefined {
    return claimAdopted(this.#unclaimed, podUid, container);
  }

  async releaseUnadopted(keepPodUids: ReadonlySet<string>): Promise<void> {
    for (const c of [...this.#unclaimed.values()]) {
      if (keepPodUids.has(c.labels[LABELS.podUid] ?? '')) continue;
      this.#unclaimed.delete(c.id);
      this.deps.logger.info({ container: c.id }, 'removing a container of an earlier run: its pod is not on this node');
      await this.deps.adapter.stop(c.id, 0).catch(() => undefined);
      await this.removeContainer(c.id).catch(() => undefined);
    }
  }

  /** Which adapter runs the containers (for logs and `describe node`). */
  get adapterName(): string {
    return this.deps.adapter.name;
  }

  pullImage(ref: string, opts?: PullOptions): Promise<PulledImage> {
    const auth = pullSecretAuth(ref, opts?.pullSecrets ?? []);
    return this.deps.adapter.pull(ref, this.deps.platform, {
      ...(opts?.signal ? { signal: opts.signal } : {}),
      ...(auth ? { auth } : {}),
    });
  }

  async createContainer(config: ContainerConfig): Promise<void> {
    if (this.#closed) throw new ServiceUnavailableError('oci runtime is closed');
    if (this.#statuses.has(config.id)) throw new CreateContainerError(`container ${config.id} already exists`);
    await this.deps.adapter.create({
      id: config.id,
      pod: config.pod,
      name: config.name,
      image: config.image,
      command: config.command,
      args: config.args,
      env: config.env,
      ...(config.workingDir ? { workingDir: config.workingDir } : {}),
      ...(config.stdin ? { stdin: config.stdin } : {}),
      ...(config.tty ? { tty: true } : {}),
      ports: config.ports,
      limits: config.limits,
      hostNetwork: this.deps.hostNetwork === true || config.hostNetwork === true,
      security: config.security ?? {},
      logPath: config.logPath,
      ...(config.mounts && config.mounts.length > 0 ? { mounts: config.mounts } : {}),
      labels: {
        [LABELS.podNamespace]: config.pod.namespace,
        [LABELS.podName]: config.pod.name,
        [LABELS.podUid]: config.pod.uid,
        [LABELS.container]: config.name,
        ...(config.adoption
          ? {
              [LABELS.specHash]: config.adoption.specHash,
              [LABELS.restartCount]: String(config.adoption.restartCount),
            }
          : {}),
      },
    });
    this.#statuses.set(config.id, { id: config.id, state: 'created' });
  }

  async startContainer(id: string): Promise<void> {
    const { startedAt } = await this.deps.adapter.start(id);
    const st = this.#statuses.get(id);
    // A process that exited already (its notification came first) stays exited.
    if (st?.state === 'created') this.#statuses.set(id, { id, state: 'running', startedAt });
  }

  async stopContainer(id: string, gracePeriodMs: number): Promise<void> {
    if (!this.#statuses.has(id)) return;
    await this.deps.adapter.stop(id, gracePeriodMs);
  }

  async removeContainer(id: string): Promise<void> {
    await this.deps.adapter.remove(id);
    this.#statuses.delete(id);
  }

  containerStatus(id: string): ContainerRuntimeStatus | undefined {
    const st = this.#statuses.get(id);
    return st ? { ...st } : undefined;
  }

  /** The container's cgroup (runc) or the daemon's stats (Engine API); undefined unless running. */
  async containerUsage(id: string): Promise<ContainerStats | undefined> {
    if (this.#statuses.get(id)?.state !== 'running') return undefined;
    return this.deps.adapter.stats?.(id);
  }

  endpoint(id: string, port: number): WorkloadEndpoint {
    const st = this.#statuses.get(id);
    if (st?.state !== 'running') throw new ServiceUnavailableError(`container ${id} is not running`);
    const ep = this.deps.adapter.endpoint(id, port);
    return { kind: 'tcp', host: ep.host, port: ep.port };
  }

  exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    if (this.#statuses.get(id)?.state !== 'running')
      return Promise.reject(new ServiceUnavailableError(`container ${id} is not running`));
    return this.deps.adapter.exec(id, command, opts);
  }

  execStream(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    if (this.#statuses.get(id)?.state !== 'running')
      return Promise.reject(new ServiceUnavailableError(`container ${id} is not running`));
    const { adapter } = this.deps;
    if (!adapter.execStream)
      return Promise.reject(
        new ServiceUnavailableError(`the ${adapter.name} adapter cannot run a command with stdin or a tty yet`),
      );
    return adapter.execStream(id, command, opts);
  }

  attach(id: string, opts: AttachOptions): Promise<ExecProcess> {
    if (this.#statuses.get(id)?.state !== 'running')
      return Promise.reject(new ServiceUnavailableError(`container ${id} is not running`));
    const { adapter } = this.deps;
    if (!adapter.attach)
      return Promise.reject(
        new ServiceUnavailableError(
          `the ${adapter.name} adapter cannot attach to a container's stdin or terminal yet (attach without -i/-t follows its output)`,
        ),
      );
    return adapter.attach(id, opts);
  }

  network(): WorkloadNetwork {
    return this.#network;
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  listImages(): string[] {
    return this.deps.adapter.listImages();
  }

  /**
   * Stops and removes every container (the agent starts them afresh) — except, with
   * `keepContainersOnExit`, those the adapter can leave for the next agent — then closes the adapter.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const grace = this.deps.closeGraceMs ?? 2000;
    const keep = (id: string): boolean =>
      this.deps.keepContainersOnExit === true &&
      this.#statuses.get(id)?.state === 'running' &&
      this.deps.adapter.keepsOnExit?.(id) === true;
    await Promise.all(
      [...this.#statuses.keys()].map(async (id) => {
        if (keep(id)) return;
        try {
          await this.deps.adapter.stop(id, grace);
          await this.deps.adapter.remove(id);
        } catch (err) {
          this.deps.logger.warn({ container: id, err: errorMessage(err) }, 'cannot remove container at shutdown');
        }
      }),
    );
    this.#statuses.clear();
    this.#unsubscribe();
    await this.deps.adapter.close();
  }

  #exited(exit: OciExit): void {
    const prev = this.#statuses.get(exit.id);
    if (!prev) return;
    const st: ContainerRuntimeStatus = {
      id: exit.id,
      state: 'exited',
      exitCode: exit.exitCode,
      finishedAt: exit.finishedAt,
      reason: exit.oomKilled ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error',
    };
    if (prev.startedAt !== undefined) st.startedAt = prev.startedAt;
    if (exit.message !== undefined) st.message = exit.message;
    this.#statuses.set(exit.id, st);
    for (const l of this.#listeners) {
      try {
        l({ type: 'exited', status: { ...st } });
      } catch (err) {
        this.deps.logger.warn({ err: errorMessage(err) }, 'container event listener failed');
      }
    }
  }
}

/**
 * The Engine API adapter: containers run by a daemon speaking the Docker Engine API on a unix socket
 * (dockerd, or `podman system service`). The daemon pulls, stores, networks (its own network, or the
 * node's for host networking) and keeps the containers; the adapter follows each one's output into
 * its CRI log file and waits on its exit. Containers carry the node's name as a label, so several
 * nodes may share a daemon and a restarted node removes only what it left itself; the ones it can
 * follow on it takes back instead (engine-recover.ts, issue 20).
 */
import { CreateContainerError, errorMessage, rfc3339 } from '../../api/index.js';
import type {
  AttachOptions,
  ContainerStats,
  ExecProcess,
  ExecResult,
  ExecStreamOptions,
  Logger,
  PulledImage,
} from '../../api/index.js';
import { type CriLogRotation, CriLogWriter } from '../../platform/index.js';
import type {
  OciContainerSpec,
  OciContainerState,
  OciAdopted,
  OciEndpoint,
  OciExit,
  OciRuntimeAdapter,
  PullOpts,
} from '../adapter.js';
import type { Platform, RegistryCredentials } from '../../distribution/index.js';
import { ContainerTable, containerState } from '../container-table.js';
import { EngineClient, EngineError } from './engine-client.js';
import { createContainerBody } from './engine-create.js';
import { engineAttach } from './engine-attach.js';
import { engineExec } from './engine-exec.js';
import { engineExecStream } from './engine-exec-stream.js';
import { engineStats } from '../stats/engine-stats.js';
import { recoverEngineContainers, sweepEngineLeftovers } from './engine-recover.js';
import {
  type ContainerInspect,
  type EngineContainer,
  type WatchDeps,
  releaseContainer,
  watchContainer,
} from './engine-watch.js';
import { EngineImages } from './engine-images.js';
import { containerAddresses, networkGateway } from './engine-network.js';
import { containerUser } from './engine-security.js';

/** Dependencies of {@link EngineAdapter.create}. */
export interface EngineAdapterDeps {
  /** The daemon's socket, e.g. `/var/run/docker.sock` or `/run/podman/podman.sock`. */
  socketPath: string;
  /** `docker` or `podman` (the adapter's name; the API is the same). */
  flavor: 'docker' | 'podman';
  /** Labels this node's containers, so nodes sharing a daemon keep apart. */
  nodeName: string;
  /** The node's address: the endpoint of host-network containers. */
  nodeAddress: string;
  /** The daemon network pods join (default `bridge`, the daemon's default network). */
  network?: string;
  credentials?: RegistryCredentials;
  logger: Logger;
  /** Engine API version to speak (default 1.41: dockerd 20.10+, podman 4+). */
  apiVersion?: string;
  /** Most processes a container may have (`PidsLimit`); 0 = the daemon's default; default 1024. */
  pidsLimit?: number;
  /** Rotation of the containers' log files; none when absent. */
  containerLogs?: CriLogRotation;
}

/** The Engine API adapter. */
export class EngineAdapter implements OciRuntimeAdapter {
  readonly name: string;
  readonly #containers = new ContainerTable<EngineContainer>();
  /** Where containers on the daemon network reach the node (undefined with host networking, or until known). */
  #gateway: string | undefined;
  /** Resolves once the runtime listens for exits: an adopted container's exit waits for it. */
  #listening: Promise<void>;
  #listen: () => void = () => undefined;

  private constructor(
    private readonly deps: EngineAdapterDeps,
    private readonly client: EngineClient,
    private readonly images: EngineImages,
    gateway: string | undefined,
  ) {
    this.name = deps.flavor;
    this.#gateway = gateway;
    this.#listening = new Promise((resolve) => (this.#listen = resolve));
  }

  /** Checks that the daemon answers, then lists its images. */
  static async create(deps: EngineAdapterDeps): Promise<EngineAdapter> {
    const client = new EngineClient(deps.socketPath, deps.apiVersion);
    try {
      await client.call('GET', '/version', { timeoutMs: 10_000 });
    } catch (err) {
      await client.close();
      throw new Error(
        `the ${deps.flavor} Engine API at ${deps.socketPath} does not answer: ${errorMessage(err)} (is the daemon running? give its socket with --oci-socket)`,
        { cause: err },
      );
    }
    const images = new EngineImages(client, deps.credentials);
    await images.refresh();
    const network = deps.network ?? 'bridge';
    const gateway = network === 'host' ? undefined : await networkGateway(client, network);
    if (network !== 'host' && gateway === undefined)
      deps.logger.warn(
        { network },
        'the daemon does not tell the gateway of its network: learnt from the first container started',
      );
    return new EngineAdapter(deps, client, images, gateway);
  }

  pull(ref: string, platform: Platform, opts?: PullOpts): Promise<PulledImage> {
    return this.images.pull(ref, platform, opts);
  }

  async create(spec: OciContainerSpec): Promise<void> {
    const what = `container ${spec.name} of pod ${spec.pod.namespace}/${spec.pod.name}`;
    if (this.#containers.has(spec.id)) throw new CreateContainerError(`${what}: id ${spec.id} exists already`);
    const user = await containerUser(this.client, spec, what);
    const body = createContainerBody(spec, {
      nodeName: this.deps.nodeName,
      network: this.deps.network,
      pidsLimit: this.deps.pidsLimit,
      user,
    });
    try {
      const created = await this.client.call<{ Id: string }>('POST', '/containers/create', {
        query: { name: `edge-${spec.id}` },
        body,
      });
      if (!created?.Id) throw new Error('the daemon returned no container id');
      this.#containers.set(spec.id, { spec, engineId: created.Id, state: 'created' });
    } catch (err) {
      throw new CreateContainerError(`${what}: ${errorMessage(err)}`, err);
    }
  }

  async start(id: string): Promise<{ startedAt: string }> {
    const c = this.#containers.get(id);
    c.log = await CriLogWriter.open(c.spec.logPath, this.deps.containerLogs);
    await this.client.call('POST', `/containers/${c.engineId}/start`);
    const info = await this.client.call<ContainerInspect>('GET', `/containers/${c.engineId}/json`);
    const { ip, gateway } = containerAddresses(info?.NetworkSettings);
    if (ip) c.ip = ip;
    if (!c.spec.hostNetwork && this.#gateway === undefined && gateway) this.#gateway = gateway;
    if (info?.State?.Pid) c.pid = info.State.Pid;
    c.startedAt = rfc3339(Date.now());
    if (c.state === 'created') c.state = 'running';
    watchContainer(this.#watchDeps(), c);
    return { startedAt: c.startedAt };
  }

  /**
   * Takes back this node's containers an earlier run of the agent left (labelled with their pod and
   * log file, without a terminal): running ones are followed on, their log resumed after its
   * last line; ones that exited meanwhile report their exit. Call before `sweep`.
   */
  async recover(): Promise<OciAdopted[]> {
    const found = await recoverEngineContainers({
      client: this.client,
      nodeName: this.deps.nodeName,
      logger: this.deps.logger,
      containerLogs: this.deps.containerLogs,
    });
    for (const { container: c, resume } of found) {
      this.#containers.set(c.spec.id, c);
      if (c.state === 'running') watchContainer(this.#watchDeps(), c, resume);
    }
    return found.map(({ container: c }) => ({
      id: c.spec.id,
      labels: c.spec.labels,
      state: containerState(c.spec.id, c),
    }));
  }

  /**
   * Whether `id` outlives the agent: the daemon holds it and its stdin, unless it runs on a terminal
   * (whose raw log the next agent could not resume without repeating or losing output).
   */
  keepsOnExit(id: string): boolean {
    const c = this.#containers.find(id);
    return c !== undefined && c.spec.tty !== true;
  }

  async stop(id: string, gracePeriodMs: number): Promise<void> {
    const c = this.#containers.find(id);
    if (!c?.exited || c.state === 'exited') return;
    try {
      if (gracePeriodMs <= 0)
        await this.client.call('POST', `/containers/${c.engineId}/kill`, { query: { signal: 'KILL' } });
      else
        await this.client.call('POST', `/containers/${c.engineId}/stop`, {
          query: { t: String(Math.ceil(gracePeriodMs / 1000)) },
          timeoutMs: gracePeriodMs + 30_000,
        });
    } catch (err) {
      // 304 / 409: not running any more; the wait below settles it.
      if (!(err instanceof EngineError) || (err.status !== 304 && err.status !== 409 && err.status !== 404)) throw err;
    }
    await Promise.race([c.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  async remove(id: string): Promise<void> {
    const c = this.#containers.find(id);
    if (!c) return;
    this.#containers.delete(id);
    await this.#forceRemove(c.engineId);
    if (c.exited) await Promise.race([c.exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    c.stopLogs?.abort();
    await c.log?.close();
  }

  /**
   * `DELETE /containers/{id}?force=true`, gone already included. A container that exits while the engine
   * kills it for the removal makes podman refuse ("could not be stopped: sending SIGKILL …: container
   * state improper: stopped", seen once in CI after an attach's stdin closed): once it has stopped, the
   * next try removes it, so a refusal is tried again twice before it is the caller's.
   */
  async #forceRemove(engineId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.call('DELETE', `/containers/${engineId}`, { query: { force: 'true', v: 'true' } });
        return;
      } catch (err) {
        if (err instanceof EngineError && err.status === 404) return;
        if (!(err instanceof EngineError) || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  status(id: string): Promise<OciContainerState> {
    return Promise.resolve(containerState(id, this.#containers.find(id)));
  }

  /** `GET /containers/{id}/stats?stream=false&one-shot=true` (stats/engine-stats.ts). */
  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.#containers.find(id);
    if (!c) return undefined;
    const query = { stream: 'false', 'one-shot': 'true' };
    return engineStats(await this.client.call('GET', `/containers/${c.engineId}/stats`, { query, timeoutMs: 10_000 }));
  }

  exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    return engineExec(this.client, this.#containers.get(id).engineId, command, opts.timeoutMs);
  }

  /** A hijacked `POST /exec/{id}/start` (engine-exec-stream.ts). */
  async execStream(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    const c = this.#containers.get(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    return engineExecStream(this.client, c.engineId, command, opts);
  }

  /** A hijacked `POST /containers/{id}/attach` (engine-attach.ts). */
  async attach(id: string, opts: AttachOptions): Promise<ExecProcess> {
    const c = this.#containers.get(id);
    if (c.state !== 'running' || !c.exited) throw new Error(`container ${id} is not running`);
    const exitCode = c.exited.then(() => c.exit?.exitCode ?? 137);
    return engineAttach(
      this.client,
      { engineId: c.engineId, tty: c.spec.tty === true, stdinOnce: c.spec.stdin?.once === true, exitCode },
      opts,
    );
  }

  endpoint(id: string, port: number): OciEndpoint {
    const c = this.#containers.get(id);
    return { host: c.spec.hostNetwork ? this.deps.nodeAddress : (c.ip ?? this.deps.nodeAddress), port };
  }

  gatewayAddress(): string | undefined {
    return this.#gateway;
  }

  podIP(id: string): string | undefined {
    return this.#containers.podIP(id);
  }

  listImages(): string[] {
    return this.images.names();
  }

  onExit(listener: (exit: OciExit) => void): () => void {
    const off = this.#containers.onExit(listener);
    this.#listen();
    return off;
  }

  /** Removes this node's containers that `recover` did not take back. */
  async sweep(): Promise<void> {
    const known = new Set(this.#containers.ids().map((id) => this.#containers.get(id).engineId));
    await sweepEngineLeftovers({ client: this.client, nodeName: this.deps.nodeName, logger: this.deps.logger }, known);
  }

  /** Lets go of the containers the runtime left running for the next agent (the rest it removed), then the daemon. */
  async close(): Promise<void> {
    for (const id of this.#containers.ids()) await releaseContainer(this.#containers.get(id));
    await this.client.close();
  }

  #watchDeps(): WatchDeps {
    return {
      client: this.client,
      logger: this.deps.logger,
      emit: async (exit) => {
        await this.#listening;
        this.#containers.emit(exit);
      },
    };
  }
}

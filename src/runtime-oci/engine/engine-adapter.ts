/**
 * The Engine API adapter: containers run by a daemon speaking the Docker Engine API on a unix socket
 * (dockerd, or `podman system service`). The daemon pulls, stores, networks (its own network, or the
 * node's for host networking) and keeps the containers; the adapter follows each one's output into
 * its CRI log file and waits on its exit. Containers carry the node's name as a label, so several
 * nodes may share a daemon and a restarted node removes only what it left itself.
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
  OciEndpoint,
  OciExit,
  OciRuntimeAdapter,
  PullOpts,
} from '../adapter.js';
import type { Platform, RegistryCredentials } from '../../distribution/index.js';
import { ContainerTable, containerState } from '../container-table.js';
import { EngineClient, EngineError } from './engine-client.js';
import { NODE_LABEL, createContainerBody } from './engine-create.js';
import { engineAttach } from './engine-attach.js';
import { engineExec } from './engine-exec.js';
import { engineExecStream } from './engine-exec-stream.js';
import { engineStats } from '../stats/engine-stats.js';
import { followLogs } from './engine-logs.js';
import { EngineImages } from './engine-images.js';
import { containerAddresses, networkGateway, type ContainerNetworkSettings } from './engine-network.js';
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

interface ContainerInspect {
  Id: string;
  State?: {
    Status?: string;
    Running?: boolean;
    Pid?: number;
    ExitCode?: number;
    OOMKilled?: boolean;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
  };
  NetworkSettings?: ContainerNetworkSettings;
}

interface EngineContainer {
  spec: OciContainerSpec;
  engineId: string;
  state: 'created' | 'running' | 'exited';
  ip?: string;
  pid?: number;
  startedAt?: string;
  exit?: OciExit;
  /** Settles when the exit has been recorded. */
  exited?: Promise<void>;
  log?: CriLogWriter;
  stopLogs?: AbortController;
}

/** The Engine API adapter. */
export class EngineAdapter implements OciRuntimeAdapter {
  readonly name: string;
  readonly #containers = new ContainerTable<EngineContainer>();
  /** Where containers on the daemon network reach the node (undefined with host networking, or until known). */
  #gateway: string | undefined;

  private constructor(
    private readonly deps: EngineAdapterDeps,
    private readonly client: EngineClient,
    private readonly images: EngineImages,
    gateway: string | undefined,
  ) {
    this.name = deps.flavor;
    this.#gateway = gateway;
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
    c.stopLogs = new AbortController();
    const logsDone = this.#followLogs(c, c.stopLogs.signal);
    c.exited = this.#waitExit(c, logsDone);
    return { startedAt: c.startedAt };
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
    try {
      await this.client.call('DELETE', `/containers/${c.engineId}`, { query: { force: 'true', v: 'true' } });
    } catch (err) {
      if (!(err instanceof EngineError) || err.status !== 404) throw err;
    }
    if (c.exited) await Promise.race([c.exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    c.stopLogs?.abort();
    await c.log?.close();
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
    return this.#containers.onExit(listener);
  }

  async sweep(): Promise<void> {
    const filters = JSON.stringify({ label: [`${NODE_LABEL}=${this.deps.nodeName}`] });
    const list =
      (await this.client.call<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: 'true', filters } })) ??
      [];
    for (const c of list) {
      await this.client
        .call('DELETE', `/containers/${c.Id}`, { query: { force: 'true', v: 'true' } })
        .catch(() => undefined);
      this.deps.logger.info({ container: c.Id }, 'removed a leftover container');
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Copies the container's output into its CRI log until the stream ends or is aborted. */
  async #followLogs(c: EngineContainer, signal: AbortSignal): Promise<void> {
    try {
      await followLogs(this.client, c.engineId, c.log, signal, c.spec.tty === true);
    } catch (err) {
      if (!signal.aborted) this.deps.logger.debug({ container: c.spec.id, err: errorMessage(err) }, 'log stream ended');
    }
  }

  /** Waits for the exit, lets the output drain into the log, then records and announces the exit. */
  async #waitExit(c: EngineContainer, logsDone: Promise<void>): Promise<void> {
    let code = 137;
    try {
      const res = await this.client.call<{ StatusCode?: number }>('POST', `/containers/${c.engineId}/wait`, {
        timeoutMs: 0,
      });
      code = res?.StatusCode ?? code;
    } catch (err) {
      this.deps.logger.warn({ container: c.spec.id, err: errorMessage(err) }, 'waiting for the container failed');
    }
    const info = await this.client
      .call<ContainerInspect>('GET', `/containers/${c.engineId}/json`)
      .catch(() => undefined);
    await Promise.race([logsDone, new Promise((r) => setTimeout(r, 2000).unref())]);
    const exit: OciExit = {
      id: c.spec.id,
      exitCode: info?.State?.ExitCode ?? code,
      finishedAt: rfc3339(Date.now()),
      oomKilled: info?.State?.OOMKilled === true,
    };
    if (info?.State?.Error) exit.message = info.State.Error;
    c.exit = exit;
    c.state = 'exited';
    await c.log?.close();
    this.#containers.emit(exit);
  }
}

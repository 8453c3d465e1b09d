/**
 * The Engine API adapter: containers run by a daemon speaking the Docker Engine API on a unix socket
 * (dockerd, or `podman system service`). The daemon pulls, stores, networks (its own network, or the
 * node's for host networking) and keeps the containers; the adapter follows each one's output into
 * its CRI log file and waits on its exit. Containers carry the node's name as a label, so several
 * nodes may share a daemon and a restarted node removes only what it left itself.
 */
import { CreateContainerError, capabilityName, errorMessage, rfc3339 } from '../../api/index.js';
import type { ExecResult, Logger, PulledImage } from '../../api/index.js';
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
import { EngineClient, EngineError, demux } from './engine-client.js';
import { engineExec } from './engine-exec.js';
import { EngineImages } from './engine-images.js';
import { containerAddresses, networkGateway, type ContainerNetworkSettings } from './engine-network.js';

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

const NODE_LABEL = 'io.edgeplane.node';
const ID_LABEL = 'io.edgeplane.container-id';

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
  readonly #containers = new Map<string, EngineContainer>();
  readonly #listeners = new Set<(exit: OciExit) => void>();
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
    const host: Record<string, unknown> = {
      NetworkMode: spec.hostNetwork ? 'host' : (this.deps.network ?? 'bridge'),
      RestartPolicy: { Name: 'no' },
    };
    if (spec.limits.memoryBytes !== undefined) host.Memory = spec.limits.memoryBytes;
    if (spec.limits.cpuMillis !== undefined) host.NanoCpus = spec.limits.cpuMillis * 1_000_000;
    const pids = this.deps.pidsLimit ?? 1024;
    if (pids > 0) host.PidsLimit = pids;
    const user = await this.#user(spec, what);
    Object.assign(host, securityHostConfig(spec.security));
    const body: Record<string, unknown> = {
      Image: spec.image.digest,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...spec.labels, [NODE_LABEL]: this.deps.nodeName, [ID_LABEL]: spec.id },
      HostConfig: host,
    };
    // Kubernetes' rules: `command` replaces the entrypoint and drops the image's cmd; `args` replaces the cmd.
    if (spec.command.length > 0) body.Entrypoint = spec.command;
    if (spec.args.length > 0 || spec.command.length > 0) body.Cmd = spec.args;
    if (spec.workingDir) body.WorkingDir = spec.workingDir;
    if (!spec.hostNetwork) body.Hostname = spec.pod.name.slice(0, 63);
    if (user !== undefined) body.User = user;
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
    const c = this.#get(id);
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
    const c = this.#containers.get(id);
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
    const c = this.#containers.get(id);
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
    return Promise.resolve(this.#state(id));
  }

  #state(id: string): OciContainerState {
    const c = this.#containers.get(id);
    if (!c) return { id, state: 'unknown' };
    const st: OciContainerState = { id, state: c.state };
    if (c.pid !== undefined) st.pid = c.pid;
    if (c.startedAt !== undefined) st.startedAt = c.startedAt;
    if (c.exit)
      Object.assign(st, { exitCode: c.exit.exitCode, finishedAt: c.exit.finishedAt, oomKilled: c.exit.oomKilled });
    return st;
  }

  exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    return engineExec(this.client, this.#get(id).engineId, command, opts.timeoutMs);
  }

  endpoint(id: string, port: number): OciEndpoint {
    const c = this.#get(id);
    return { host: c.spec.hostNetwork ? this.deps.nodeAddress : (c.ip ?? this.deps.nodeAddress), port };
  }

  gatewayAddress(): string | undefined {
    return this.#gateway;
  }

  podIP(id: string): string | undefined {
    const c = this.#containers.get(id);
    return c?.spec.hostNetwork ? undefined : c?.ip;
  }

  listImages(): string[] {
    return this.images.names();
  }

  onExit(listener: (exit: OciExit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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

  /**
   * The `User` to create the container with (undefined: the image's), checked against
   * `runAsNonRoot` as the kubelet checks it: the uid must be known and not 0.
   */
  async #user(spec: OciContainerSpec, what: string): Promise<string | undefined> {
    const { runAsUser, runAsGroup, runAsNonRoot } = spec.security;
    if (runAsUser !== undefined) {
      if (runAsNonRoot === true && runAsUser === 0)
        throw new CreateContainerError(
          `${what}: container's runAsUser breaks non-root policy`,
          undefined,
          'CreateContainerConfigError',
        );
      return runAsGroup !== undefined ? `${runAsUser}:${runAsGroup}` : String(runAsUser);
    }
    if (runAsNonRoot !== true && runAsGroup === undefined) return undefined;
    const info = await this.client
      .call<{ Config?: { User?: string } }>('GET', `/images/${encodeURIComponent(spec.image.digest)}/json`)
      .catch((err: unknown) => {
        throw new CreateContainerError(`${what}: cannot inspect image ${spec.image.ref}: ${errorMessage(err)}`, err);
      });
    const imageUser = info?.Config?.User ?? '';
    const name = imageUser.split(':')[0] ?? '';
    if (runAsNonRoot === true) {
      if (name === '' || name === 'root' || /^0+$/.test(name))
        throw new CreateContainerError(
          `${what}: container has runAsNonRoot and image will run as root`,
          undefined,
          'CreateContainerConfigError',
        );
      if (!/^[0-9]+$/.test(name))
        throw new CreateContainerError(
          `${what}: container has runAsNonRoot and image has non-numeric user (${name}), cannot verify user is non-root`,
          undefined,
          'CreateContainerConfigError',
        );
    }
    if (runAsGroup === undefined) return undefined;
    return `${name === '' ? '0' : name}:${runAsGroup}`;
  }

  #get(id: string): EngineContainer {
    const c = this.#containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }

  /** Copies the container's output (from its start, then as it comes) into its CRI log. */
  async #followLogs(c: EngineContainer, signal: AbortSignal): Promise<void> {
    try {
      const res = await this.client.open('GET', `/containers/${c.engineId}/logs`, {
        query: { follow: 'true', stdout: 'true', stderr: 'true' },
        timeoutMs: 0,
        signal,
      });
      await demux(pacedByLog(res.body, c.log), (stream, data) => c.log?.write(stream, data));
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
    for (const l of this.#listeners) l(exit);
  }
}

/**
 * The log stream, read no faster than the container's log file takes it: the next chunk is pulled
 * only once the log has room, so a container writing faster than the disk leaves its output in the
 * daemon (TCP backpressure) instead of the agent's heap.
 */
export async function* pacedByLog(
  body: AsyncIterable<Uint8Array>,
  log: Pick<CriLogWriter, 'drained'> | undefined,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    yield chunk;
    await log?.drained();
  }
}

/**
 * The HostConfig fields of a container's `securityContext`: capabilities, privileged, read-only
 * root, supplementary groups, no-new-privileges (on unless escalation is allowed or the container
 * is privileged, as for runc) and seccomp (the daemon's own default profile unless `Unconfined`).
 */
export function securityHostConfig(sec: OciContainerSpec['security']): Record<string, unknown> {
  const host: Record<string, unknown> = {};
  const cap = (c: string): string => (c === 'ALL' ? 'ALL' : `CAP_${capabilityName(c)}`);
  if (sec.capabilities?.add?.length) host.CapAdd = sec.capabilities.add.map(cap);
  if (sec.capabilities?.drop?.length) host.CapDrop = sec.capabilities.drop.map(cap);
  if (sec.privileged === true) host.Privileged = true;
  if (sec.readOnlyRootFilesystem === true) host.ReadonlyRootfs = true;
  if (sec.supplementalGroups?.length) host.GroupAdd = sec.supplementalGroups.map(String);
  const opts: string[] = [];
  if (sec.privileged !== true && sec.allowPrivilegeEscalation !== true) opts.push('no-new-privileges');
  if (sec.seccompProfile === 'Unconfined') opts.push('seccomp=unconfined');
  if (opts.length > 0) host.SecurityOpt = opts;
  return host;
}

/**
 * The daemonless adapter, for Pi-class devices: the agent pulls and unpacks images itself, assembles
 * a bundle per container (an overlay rootfs over the image's snapshots, `config.json`, `/etc/hosts`),
 * puts the pod in its network namespace (or the node's) and drives `runc` with a `--root` of its own.
 * Removing a container leaves nothing: runc's state and cgroup, the rootfs mount, the bundle and —
 * with the pod's last container — the pod's network namespace all go.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { CreateContainerError, errorMessage } from '../../api/index.js';
import type {
  AttachOptions,
  ContainerStats,
  ExecProcess,
  ExecResult,
  ExecStreamOptions,
  PulledImage,
} from '../../api/index.js';
import type {
  OciContainerSpec,
  OciContainerState,
  OciEndpoint,
  OciAdopted,
  OciExit,
  OciRuntimeAdapter,
  PullOpts,
} from '../adapter.js';
import { runCommand } from '../command.js';
import { ContainerTable, containerState } from '../container-table.js';
import { ImageStore } from '../image/image-store.js';
import type { Platform } from '../../distribution/index.js';
import { mountOverlay } from '../unpack/overlay.js';
import { boundingCapabilities, containerUser, processSpec, runcConfig } from './bundle-config.js';
import { readCgroupStats } from '../stats/cgroup-stats.js';
import { writeEtcFiles } from './etc-files.js';
import { resolveUser } from './image-user.js';
import { runcExec } from './runc-exec.js';
import { runcExecStream } from './runc-exec-stream.js';
import { RuncProcess } from './runc-process.js';
import type { RuncAdapterDeps } from './runc-adapter-deps.js';
import { deleteContainerFiles, writeConfig, writeRecord } from './runc-bundle.js';
import { recordOf, recoverContainers, sweepLeftovers, type RuncContainer } from './runc-recover.js';

export type { RuncAdapterDeps };

/** The runc adapter. */
export class RuncAdapter implements OciRuntimeAdapter {
  readonly name = 'runc';
  readonly #containers = new ContainerTable<RuncContainer>();
  readonly #runc: string;
  readonly #root: string;
  readonly #bundles: string;
  readonly #cgroupParent: string;

  private constructor(
    private readonly deps: RuncAdapterDeps,
    private readonly images: ImageStore,
  ) {
    this.#runc = deps.runcPath ?? 'runc';
    this.#root = deps.runcRoot ?? join(deps.dataDir, 'runc');
    this.#bundles = join(deps.dataDir, 'bundles');
    this.#cgroupParent = deps.cgroupParent ?? '/edgeplane';
  }

  /** Checks that runc runs and opens the image store. */
  static async create(deps: RuncAdapterDeps): Promise<RuncAdapter> {
    const runc = deps.runcPath ?? 'runc';
    try {
      await runCommand(runc, ['--version'], { timeoutMs: 10_000 });
    } catch (err) {
      throw new Error(`cannot run ${runc}: ${errorMessage(err)} (install runc, or give its path with --oci-runc)`, {
        cause: err,
      });
    }
    // 0700: bundles hold containers' mounted rootfs; no local user of the host may reach them.
    await mkdir(join(deps.dataDir, 'bundles'), { recursive: true, mode: 0o700 });
    await chmod(join(deps.dataDir, 'bundles'), 0o700);
    await mkdir(deps.runcRoot ?? join(deps.dataDir, 'runc'), { recursive: true });
    const images = await ImageStore.open({
      dir: join(deps.dataDir, 'images'),
      client: deps.client,
      logger: deps.logger,
    });
    return new RuncAdapter(deps, images);
  }

  async pull(ref: string, platform: Platform, opts?: PullOpts): Promise<PulledImage> {
    const { ref: pulledRef, digest, sizeBytes } = await this.images.pull(ref, platform, opts);
    return { ref: pulledRef, digest, sizeBytes };
  }

  async create(spec: OciContainerSpec): Promise<void> {
    const what = `container ${spec.name} of pod ${spec.pod.namespace}/${spec.pod.name}`;
    if (this.#containers.has(spec.id)) throw new CreateContainerError(`${what}: id ${spec.id} exists already`);
    const image = this.images.get(spec.image.digest);
    if (!image) throw new CreateContainerError(`${what}: image ${spec.image.ref} (${spec.image.digest}) is not pulled`);
    const bundle = join(this.#bundles, spec.id);
    const cgroupsPath = `${this.#cgroupParent}/${spec.id}`;
    const rec: RuncContainer = {
      spec,
      bundle,
      cgroupsPath,
      networkHeld: false,
      proc: this.#process(spec.id, spec, bundle, cgroupsPath),
    };
    // Registered first: a failure half-way is cleaned up by remove().
    this.#containers.set(spec.id, rec);
    try {
      const rootfs = join(bundle, 'rootfs');
      for (const d of ['rootfs', 'upper', 'work']) await mkdir(join(bundle, d), { recursive: true });
      await mountOverlay({
        snapshotsDir: this.images.snapshots.dir,
        lowers: [...image.snapshots].reverse(),
        upper: join(bundle, 'upper'),
        work: join(bundle, 'work'),
        target: rootfs,
      });
      const hostNetwork = spec.hostNetwork || !this.deps.network;
      let netnsPath: string | undefined;
      if (!hostNetwork && this.deps.network) {
        const att = await this.deps.network.attach(spec.pod.uid);
        rec.networkHeld = true;
        rec.ip = att.ip;
        netnsPath = att.netnsPath;
      }
      const hostname = hostNetwork ? os.hostname() : spec.pod.name.slice(0, 63);
      const proc = processSpec(
        image.config,
        {
          command: spec.command,
          args: spec.args,
          env: spec.env,
          ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
          hostname,
        },
        what,
      );
      const user = containerUser(await resolveUser(rootfs, image.config.User, what), spec.security, what);
      const etcFiles = await writeEtcFiles(bundle, hostname, rec.ip ?? this.deps.nodeAddress, hostNetwork);
      const config = runcConfig({
        process: proc,
        ...(spec.tty ? { terminal: true } : {}),
        user,
        security: spec.security,
        hostname,
        rootfs,
        cgroupsPath,
        limits: spec.limits,
        etcFiles,
        ...(spec.mounts ? { volumeMounts: spec.mounts } : {}),
        nodeCapabilities: boundingCapabilities(await readFile('/proc/self/status', 'utf8')),
        ...(this.deps.pidsLimit !== undefined ? { pidsLimit: this.deps.pidsLimit } : {}),
        ...(netnsPath ? { netnsPath } : {}),
      });
      await writeConfig(this.deps.volatileDir, spec.id, bundle, JSON.stringify(config, null, 1));
      await writeRecord(bundle, recordOf(rec));
    } catch (err) {
      await this.remove(spec.id).catch(() => undefined);
      if (err instanceof CreateContainerError) throw err;
      throw new CreateContainerError(`${what}: ${errorMessage(err)}`, err);
    }
  }

  async start(id: string): Promise<{ startedAt: string }> {
    const rec = this.#containers.get(id);
    const startedAt = await rec.proc.start();
    await writeRecord(rec.bundle, { ...recordOf(rec), startedAt });
    return { startedAt };
  }

  /**
   * Takes back the containers an earlier run of the agent left (its records in the bundles): running
   * ones are followed on, ones that exited meanwhile report their exit. Call before `sweep`.
   */
  async recover(): Promise<OciAdopted[]> {
    const found = await recoverContainers({
      bundles: this.#bundles,
      network: this.deps.network,
      logger: this.deps.logger,
      process: (r) => this.#process(r.id, r.spec, join(this.#bundles, r.id), r.cgroupsPath),
    });
    for (const c of found) this.#containers.set(c.spec.id, c);
    return found.map((c) => ({ id: c.spec.id, labels: c.spec.labels, state: containerState(c.spec.id, c.proc) }));
  }

  /** Whether `id` outlives the agent: every container runs under the shim. */
  keepsOnExit(id: string): boolean {
    return this.#containers.find(id) !== undefined;
  }

  /** From the container's cgroup (stats/cgroup-stats.ts). */
  async stats(id: string): Promise<ContainerStats | undefined> {
    const rec = this.#containers.find(id);
    return rec ? readCgroupStats(rec.cgroupsPath) : undefined;
  }

  async stop(id: string, gracePeriodMs: number): Promise<void> {
    await this.#containers.find(id)?.proc.stop(gracePeriodMs);
  }

  async remove(id: string): Promise<void> {
    const rec = this.#containers.find(id);
    if (!rec) return;
    this.#containers.delete(id);
    await rec.proc.stop(0);
    await this.#deleteContainer(id, rec.bundle, rec.cgroupsPath);
    if (rec.networkHeld) await this.deps.network?.detach(rec.spec.pod.uid);
  }

  status(id: string): Promise<OciContainerState> {
    return Promise.resolve(containerState(id, this.#containers.find(id)?.proc));
  }

  async exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    const rec = this.#containers.get(id);
    if (rec.proc.state !== 'running') throw new Error(`container ${id} is not running`);
    return runcExec({ runc: this.#runc, root: this.#root, id, tmpDir: rec.bundle }, command, opts.timeoutMs);
  }

  execStream(id: string, command: readonly string[], opts: ExecStreamOptions): Promise<ExecProcess> {
    const rec = this.#containers.get(id);
    if (rec.proc.state !== 'running') return Promise.reject(new Error(`container ${id} is not running`));
    return runcExecStream({ runc: this.#runc, root: this.#root, id, tmpDir: rec.bundle }, command, opts);
  }

  attach(id: string, opts: AttachOptions): Promise<ExecProcess> {
    const rec = this.#containers.get(id);
    if (rec.proc.state !== 'running') return Promise.reject(new Error(`container ${id} is not running`));
    return Promise.resolve(rec.proc.attach(opts));
  }

  endpoint(id: string, port: number): OciEndpoint {
    const rec = this.#containers.get(id);
    return { host: rec.ip ?? this.deps.nodeAddress, port };
  }

  gatewayAddress(): string | undefined {
    return this.deps.network?.gateway;
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
    await sweepLeftovers({
      runc: this.#runc,
      root: this.#root,
      bundles: this.#bundles,
      keep: (id) => this.#containers.has(id),
      remove: (id) => this.#deleteContainer(id, join(this.#bundles, id), `${this.#cgroupParent}/${id}`),
      logger: this.deps.logger,
    });
    await this.deps.network?.sweep();
  }

  /** Lets go of the containers the runtime left running for the next agent (the rest it removed). */
  close(): Promise<void> {
    for (const id of this.#containers.ids()) this.#containers.find(id)?.proc.release();
    return Promise.resolve();
  }

  /** The process of a container (not started). */
  #process(id: string, spec: OciContainerSpec, bundle: string, cgroupsPath: string): RuncProcess {
    return new RuncProcess({
      runc: this.#runc,
      root: this.#root,
      id,
      bundle,
      logPath: spec.logPath,
      ...(this.deps.containerLogs ? { logRotation: this.deps.containerLogs } : {}),
      cgroupsPath,
      ...(spec.stdin ? { stdin: spec.stdin } : {}),
      ...(spec.tty ? { tty: true } : {}),
      logger: this.deps.logger,
      onExit: (e) => this.#containers.emit(e),
    });
  }

  #deleteContainer(id: string, bundle: string, cgroupsPath: string): Promise<void> {
    const volatileDir = this.deps.volatileDir;
    return deleteContainerFiles({ runc: this.#runc, root: this.#root, id, bundle, cgroupsPath, volatileDir });
  }
}

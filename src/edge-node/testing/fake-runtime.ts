/**
 * An in-memory `Runtime` for the agent's unit tests (a test double of a dependency, not of the agent):
 * containers "run" as records, answer HTTP in-process with what they were given, write CRI log lines,
 * and exit when a test says so.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { CreateContainerError, ImagePullError } from '../../api/index.js';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerRuntimeStatus,
  PulledImage,
  Runtime,
  WorkloadEndpoint,
  WorkloadNetwork,
} from '../../api/index.js';

/** One fake container. */
export interface FakeContainer {
  config: ContainerConfig;
  status: ContainerRuntimeStatus;
}

/** Behaviour knobs of the fake runtime. */
export interface FakeRuntimeOptions {
  name?: string;
  /** Images whose pull fails. */
  failPull?: Set<string>;
  /** Images whose create fails. */
  failCreate?: Set<string>;
  /** Called after start: return `{ exitAfterMs, exitCode }` to make the container exit on its own. */
  behaviour?(config: ContainerConfig): { exitAfterMs: number; exitCode: number } | undefined;
  /** Makes the containers network peers of the node (as OCI's are): where they reach it, and each one's pod IP. */
  network?: {
    nodeAddress(hostNetwork: boolean): string | undefined;
    podIP?(config: ContainerConfig): string | undefined;
  };
}

/** A Runtime whose containers live in memory. */
/* eslint-disable @typescript-eslint/require-await -- the fake implements the async Runtime contract: a throw must become a rejection */
export class FakeRuntime implements Runtime {
  readonly name: string;
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  private readonly listeners = new Set<(ev: ContainerEvent) => void>();
  private readonly images = new Set<string>();
  /** Present only with `opts.network`, as a runtime without a network has no such method. */
  readonly network?: () => WorkloadNetwork;

  constructor(readonly opts: FakeRuntimeOptions = {}) {
    this.name = opts.name ?? 'wasm';
    const net = opts.network;
    if (net) {
      const network: WorkloadNetwork = {
        nodeAddress: (hostNetwork) => net.nodeAddress(hostNetwork),
        podIP: (id) => {
          const c = this.containers.get(id);
          return c && net.podIP?.(c.config);
        },
      };
      this.network = () => network;
    }
  }

  async pullImage(ref: string): Promise<PulledImage> {
    this.calls.push(`pull ${ref}`);
    if (this.opts.failPull?.has(ref)) throw new ImagePullError(`fetching ${ref}: hub answered 404`);
    this.images.add(ref);
    return { ref, digest: `sha256:${createHash('sha256').update(ref).digest('hex')}`, sizeBytes: 42 };
  }

  async createContainer(config: ContainerConfig): Promise<void> {
    this.calls.push(`create ${config.pod.name}/${config.name}`);
    if (this.opts.failCreate?.has(config.image.ref))
      throw new CreateContainerError(`component ${config.image.ref} exports nothing runnable`);
    this.containers.set(config.id, { config, status: { id: config.id, state: 'created' } });
  }

  async startContainer(id: string): Promise<void> {
    const c = this.must(id);
    this.calls.push(`start ${c.config.pod.name}/${c.config.name}`);
    c.status = { id, state: 'running', startedAt: new Date().toISOString() };
    this.writeLog(id, 'stdout', `started ${c.config.name} args=${c.config.args.join(' ')}`);
    const b = this.opts.behaviour?.(c.config);
    if (b) setTimeout(() => this.exit(id, b.exitCode), b.exitAfterMs).unref();
  }

  async stopContainer(id: string, gracePeriodMs: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.status.state === 'exited') return;
    this.calls.push(`stop ${c.config.pod.name}/${c.config.name} grace=${gracePeriodMs}`);
    c.status = { ...c.status, state: 'exited', exitCode: 137, reason: 'Killed', finishedAt: new Date().toISOString() };
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.calls.push(`remove ${c.config.pod.name}/${c.config.name}`);
    this.containers.delete(id);
  }

  containerStatus(id: string): ContainerRuntimeStatus | undefined {
    return this.containers.get(id)?.status;
  }

  endpoint(id: string, port: number): WorkloadEndpoint {
    const c = this.must(id);
    return {
      kind: 'in-process',
      handle: async (req) => {
        const body = JSON.stringify({
          pod: c.config.pod.name,
          container: c.config.name,
          port,
          method: req.method,
          path: req.path,
          authority: req.authority,
          headers: Object.fromEntries(req.headers),
          body: Buffer.from(req.body).toString('utf8'),
          env: c.config.env,
        });
        return {
          status: 200,
          headers: [
            ['content-type', 'application/json'],
            ['x-served-by', c.config.pod.name],
          ],
          body: Buffer.from(body),
        };
      },
    };
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listImages(): string[] {
    return [...this.images];
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) c.status = { ...c.status, state: 'exited', exitCode: 137 };
  }

  /** Makes a running container exit on its own (an unsolicited event). */
  exit(id: string, exitCode: number, reason?: string): void {
    const c = this.containers.get(id);
    if (!c || c.status.state !== 'running') return;
    this.writeLog(id, exitCode === 0 ? 'stdout' : 'stderr', `exiting with ${exitCode}`);
    c.status = {
      ...c.status,
      state: 'exited',
      exitCode,
      reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      finishedAt: new Date().toISOString(),
    };
    for (const l of this.listeners) l({ type: 'exited', status: c.status });
  }

  /** Appends one CRI log line for a container. */
  writeLog(id: string, stream: 'stdout' | 'stderr', text: string): void {
    const c = this.must(id);
    appendFileSync(c.config.logPath, `${new Date().toISOString()} ${stream} F ${text}\n`);
  }

  /** The running containers of a pod. */
  running(podName?: string): FakeContainer[] {
    return [...this.containers.values()].filter(
      (c) => c.status.state === 'running' && (podName === undefined || c.config.pod.name === podName),
    );
  }

  private must(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }
}

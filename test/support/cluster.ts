/**
 * A real cluster for end-to-end tests: an `edge-hub` process and `edge-node` processes started from
 * the compiled bins (as a user runs them), talking over real sockets on loopback addresses, plus
 * `edgectl` run as a process. Nothing here is faked.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { typeByName, type Node, type ResourceType } from '../../src/api/index.js';
import { EdgeClient } from '../../src/cli/index.js';
import { defaultRunDir } from '../../src/edge-node/config/index.js';
import { freePort } from './net.js';
import { until } from './poll.js';
import { BIN, Proc, type CommandResult } from './proc.js';

// The helpers tests import from here live in files of their own (one concern each); re-exported so
// every `support/cluster.js` import keeps working unchanged.
export { ROOT, Proc, type CommandResult } from './proc.js';
export { until } from './poll.js';
export { freePort, httpGet } from './net.js';
export { WatchRecorder, watchCollection, type WatchedEvent } from './watch-recorder.js';
export { runLoad, type LoadSample } from './load-run.js';

/** The resource type of a plural or short name (`pods`, `deploy`, `events`), for `EdgeClient` calls. */
export function kind(name: string): ResourceType {
  const type = typeByName(name);
  if (!type) throw new Error(`no resource type "${name}"`);
  return type;
}

/** A node of the cluster: its name, loopback address, labels and own flags. */
export interface NodeSpec {
  name: string;
  address: string;
  labels?: Record<string, string>;
  /** Extra flags of this node only (after the cluster-wide ones), e.g. `--oci-runtime runc`. */
  args?: string[];
}

interface RunningNode extends NodeSpec {
  proc: Proc;
  dataDir: string;
  meshPort: number;
}

/** A hub and its nodes run as processes, in a temporary directory `stop()` removes. */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'edge-e2e-'));
  readonly hubDir = join(this.dir, 'hub');
  hub: Proc | undefined;
  url = '';
  private hubPort = 0;
  private hubClient: EdgeClient | undefined;
  readonly nodes = new Map<string, RunningNode>();

  /** Extra flags for the hub (short node periods for self-healing tests, …) and for every node. */
  constructor(
    private readonly hubArgs: string[] = [],
    private readonly nodeArgs: string[] = [],
  ) {}

  get adminToken(): string {
    return readFileSync(join(this.hubDir, 'admin.token'), 'utf8').trim();
  }

  /** The hub's cluster CA (PEM) clients verify it with; undefined for a plain-HTTP hub. */
  get caPem(): string | undefined {
    return this.url.startsWith('https:') ? readFileSync(this.caFile, 'utf8') : undefined;
  }

  /** Path of the hub's CA certificate (`<hub data dir>/pki/ca.crt`). */
  get caFile(): string {
    return join(this.hubDir, 'pki', 'ca.crt');
  }

  /** A typed client of this cluster's hub, as admin (a new one after each hub start). */
  get client(): EdgeClient {
    this.hubClient ??= new EdgeClient({
      server: this.url,
      token: this.adminToken,
      userAgent: 'edge-e2e',
      ...(this.caPem !== undefined ? { ca: this.caPem } : {}),
    });
    return this.hubClient;
  }

  /**
   * `fetch` of a path on the hub, trusting its CA (no credentials added: pass them in `init`). For the
   * raw HTTP checks tests make beside `client`.
   */
  async hubFetch(path: string, init: UndiciRequestInit = {}): Promise<Response> {
    const ca = this.caPem;
    this.hubDispatcher ??= ca !== undefined ? new Agent({ connect: { ca } }) : undefined;
    return await undiciFetch(`${this.url}${path}`, {
      ...init,
      ...(this.hubDispatcher ? { dispatcher: this.hubDispatcher } : {}),
    });
  }
  private hubDispatcher: Agent | undefined;

  /** Starts the hub; `timeoutMs` bounds the wait for its URL (benchmarks on a loaded machine pass more). */
  async startHub(timeoutMs = 30_000): Promise<void> {
    if (!this.hubPort) this.hubPort = await freePort();
    // Connections kept alive to a previous hub process are dead: the next call opens new ones.
    await this.hubClient?.close();
    this.hubClient = undefined;
    await this.hubDispatcher?.close();
    this.hubDispatcher = undefined;
    const proc = new Proc(
      spawn(
        process.execPath,
        [BIN('edge-hub'), '--data-dir', this.hubDir, '--listen', `127.0.0.1:${this.hubPort}`, ...this.hubArgs],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
      ),
    );
    this.hub = proc;
    this.url = await until(
      'the hub to print its URL',
      () =>
        /serving (https?:\/\/\S+)/.exec(proc.out)?.[1] ??
        (proc.alive
          ? undefined
          : (() => {
              throw new Error(`hub exited: ${proc.err}`);
            })()),
      timeoutMs,
      50,
    );
  }

  async startNode(spec: NodeSpec): Promise<void> {
    const prev = this.nodes.get(spec.name);
    const dataDir = prev?.dataDir ?? join(this.dir, spec.name);
    const meshPort = prev?.meshPort ?? (await freePort(spec.address));
    const labels = Object.entries(spec.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const args = [
      BIN('edge-node'),
      '--server',
      this.url,
      '--token-file',
      join(this.hubDir, 'join.token'),
      '--name',
      spec.name,
      '--address',
      spec.address,
      '--mesh-port',
      String(meshPort),
      '--data-dir',
      dataDir,
      ...(labels ? ['--labels', labels] : []),
      ...this.nodeArgs,
      ...(spec.args ?? []),
    ];
    const proc = new Proc(
      spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EDGE_LOG_LEVEL: 'warn' },
      }),
    );
    this.nodes.set(spec.name, { ...spec, proc, dataDir, meshPort });
  }

  /** Starts a hub and nodes and waits until every node is Ready. */
  async start(nodes: NodeSpec[]): Promise<void> {
    await this.startHub();
    for (const n of nodes) await this.startNode(n);
    await this.waitNodesReady(nodes.map((n) => n.name));
  }

  async waitNodesReady(names: string[], timeoutMs = 30_000): Promise<void> {
    await until(
      `nodes ${names.join(', ')} Ready`,
      async () => {
        const list = await this.client.list<Node>(kind('nodes'));
        return names.every((n) =>
          list.items.some(
            (i) =>
              i.metadata.name === n && i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ),
        );
      },
      timeoutMs,
    );
  }

  /** Runs `edgectl` as a process against this cluster (as admin unless `env` names another EDGE_TOKEN). */
  async edgectl(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<CommandResult> {
    const child = spawn(process.execPath, [BIN('edgectl'), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        EDGE_SERVER: this.url,
        EDGE_TOKEN: this.adminToken,
        EDGE_CONFIG: join(this.dir, 'edgectl-config'),
        ...(existsSync(this.caFile) && this.url.startsWith('https:') ? { EDGE_CA_FILE: this.caFile } : {}),
        NO_COLOR: '1',
        ...env,
      },
    });
    const p = new Proc(child);
    child.stdin?.end(stdin ?? '');
    const code = await p.exited;
    return { code, stdout: p.out, stderr: p.err };
  }

  node(name: string): RunningNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  async stop(): Promise<void> {
    await this.hubClient?.close();
    await this.hubDispatcher?.close();
    await Promise.all([...this.nodes.values()].map((n) => n.proc.kill('SIGKILL')));
    await this.hub?.kill('SIGKILL');
    // The processes log at warn level: keep the tail of what they said in the test output, so a
    // failure in CI can be explained afterwards (the cluster's directory goes away below).
    if (process.env.EDGE_TEST_QUIET !== '1') {
      const tails = [
        ['hub', this.hub?.err ?? ''],
        ...[...this.nodes.values()].map((n) => [n.name, n.proc.err] as const),
      ]
        .filter(([, err]) => err.trim() !== '')
        .map(([name, err]) => `--- ${name} (last lines of stderr)\n${err.trim().split('\n').slice(-15).join('\n')}`);
      if (tails.length > 0) console.log(`[cluster ${this.dir}] process logs:\n${tails.join('\n')}`);
    }
    // A file still being written by an exiting child (ENOTEMPTY) or a mount on its way out (EBUSY) is
    // retried rather than failing the suite in its teardown.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    // The nodes were killed: their run dirs (memory-backed volumes, under /dev/shm) go too. A tmpfs a
    // test left mounted there (EBUSY) is that test's to unmount: its teardown must still run.
    for (const n of this.nodes.values()) {
      try {
        rmSync(defaultRunDir(n.dataDir), { recursive: true, force: true });
      } catch {
        // left for the test that mounted it
      }
    }
  }
}

/**
 * A real cluster for end-to-end tests: an `edge-hub` process and `edge-node` processes started from
 * the compiled bins (as a user runs them), talking over real sockets on loopback addresses, plus
 * `edgectl` run as a process. Nothing here is faked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { typeByName, type KubeObject, type Node, type ResourceType } from '../../src/api/index.js';
import { EdgeClient, type WatchEventType } from '../../src/cli/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = (name: string): string => join(ROOT, 'bin', `${name}.js`);

/** Asks the OS for a free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

/** Polls `fn` until it returns a truthy value. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const why = last instanceof Error ? last.toString() : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${why})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The resource type of a plural or short name (`pods`, `deploy`, `events`), for `EdgeClient` calls. */
export function kind(name: string): ResourceType {
  const type = typeByName(name);
  if (!type) throw new Error(`no resource type "${name}"`);
  return type;
}

/** A started process with its captured output. */
export class Proc {
  out = '';
  err = '';
  exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` and waits for the exit. A process still alive `graceMs` later (a SIGTERM that hangs
   * on a loaded machine) is killed with SIGKILL, so a teardown cannot hang past its hook's timeout.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    if (signal === 'SIGKILL') {
      await this.exited;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), graceMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late' && this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

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

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

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
  }
}

/** GETs `url` and returns status + body text (no throw). */
export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/** One event of a watch, with the time (ms) it arrived here. */
export interface WatchedEvent<T> {
  at: number;
  type: WatchEventType;
  object: T;
}

/**
 * A running watch of a collection on the hub (`EdgeClient.watch`), keeping every event with its
 * arrival time: the timeline tests measure transitions on (a status flip, a restart) at millisecond
 * resolution, where the objects' own timestamps have one-second resolution.
 */
export class WatchRecorder<T extends KubeObject> {
  readonly events: Array<WatchedEvent<T>> = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(client: EdgeClient, type: ResourceType, opts: { namespace?: string } = {}) {
    this.done = this.read(client, type, opts.namespace).catch(() => undefined);
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async read(client: EdgeClient, type: ResourceType, namespace: string | undefined): Promise<void> {
    for await (const ev of client.watch<T>(type, { namespace, signal: this.abort.signal })) {
      this.events.push({ at: Date.now(), type: ev.type, object: ev.object });
    }
  }
}

/** Starts watching the collection of `type` (in `namespace`, else all) on `cluster`'s hub. */
export function watchCollection<T extends KubeObject>(
  cluster: Cluster,
  type: ResourceType,
  namespace?: string,
): WatchRecorder<T> {
  return new WatchRecorder<T>(cluster.client, type, { namespace });
}

/** One request of a load run: when it was sent (`t0`) and answered (`t1`), its status, and who answered. */
export interface LoadSample {
  t0: number;
  t1: number;
  status: number;
  /** `pod` of a JSON answer (the example components name the pod that served). */
  pod?: string;
  /** `ready` of a JSON answer (probe-demo says whether it considered itself ready). */
  ready?: boolean;
}

/**
 * Sends GETs from `workers` concurrent loops over `urls` (round-robin) until `stop()` returns true,
 * timestamping each one into `out`. A request that fails outright is recorded with status 0.
 */
export async function runLoad(
  urls: readonly string[],
  workers: number,
  stop: () => boolean,
  out: LoadSample[],
): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; !stop(); i++) {
        const t0 = Date.now();
        try {
          // 20 s: on a loaded machine an answer can take seconds; only a request never answered is a failure.
          const res = await fetch(urls[i % urls.length]!, { signal: AbortSignal.timeout(20_000) });
          const text = await res.text();
          const s: LoadSample = { t0, t1: Date.now(), status: res.status };
          try {
            const body = JSON.parse(text) as { pod?: unknown; ready?: unknown };
            if (typeof body.pod === 'string') s.pod = body.pod;
            if (typeof body.ready === 'boolean') s.ready = body.ready;
          } catch {
            // not JSON (an error text from the proxy): its status says enough
          }
          out.push(s);
        } catch {
          out.push({ t0, t1: Date.now(), status: 0 });
        }
      }
    }),
  );
}

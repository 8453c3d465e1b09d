/**
 * One fleet run: a real hub process, the harness process with N hollow nodes, an HTTP client and a
 * node watch on the hub. Scenarios (`scenarios/`, one a file: each returns its figures and asserts
 * nothing about timing) drive it; `bench/fleet.ts` and the fleet test build on it. Waits poll a
 * condition with a deadline; nothing sleeps idle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HollowTuning } from './context.js';
import { HarnessClient } from './harness-client.js';
import { HubHttp } from './hub-http.js';
import { HubProcess } from './hub-process.js';
import { NodeWatch } from './node-watch.js';

/** Options of a run. */
export interface FleetRunOptions {
  /** Checkout whose built hub is run. */
  repo: string;
  nodes: number;
  /** Extra hub flags. */
  hubFlags?: string[];
  /** Options for the hub's `node` (`--max-semi-space-size=64`). */
  hubNodeOptions?: string[];
  /** A file the hub's whole stdout and stderr are appended to. */
  hubOutput?: string;
  /** Where hollow identities are kept (default: a temporary dir removed at the end). */
  identityDir?: string;
  /** Directory for the hub's `--cpu-prof` profile; the harness's goes into its `harness/` subdirectory. */
  cpuProfDir?: string;
  tuning?: Partial<Omit<HollowTuning, 'backoff'>>;
  /** Node name prefix (default `hollow`). */
  prefix?: string;
  /** Progress lines go here (default: stderr). */
  log?: (line: string) => void;
}

/** Polls `check` every `everyMs` until it returns a value, or throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class FleetRun {
  readonly hub: HubProcess;
  readonly harness: HarnessClient;
  http!: HubHttp;
  watch!: NodeWatch;
  readonly log: (line: string) => void;
  readonly prefix: string;
  #tmp: string[] = [];
  #caPem = '';
  #token = '';

  private constructor(
    readonly opts: FleetRunOptions,
    hubDir: string,
  ) {
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.prefix = opts.prefix ?? 'hollow';
    this.hub = new HubProcess({
      repo: opts.repo,
      dataDir: hubDir,
      flags: opts.hubFlags ?? [],
      nodeOptions: opts.hubNodeOptions ?? [],
      ...(opts.cpuProfDir ? { cpuProfDir: opts.cpuProfDir } : {}),
      ...(opts.hubOutput ? { output: opts.hubOutput } : {}),
    });
    this.harness = new HarnessClient(opts.cpuProfDir ? { cpuProfDir: join(opts.cpuProfDir, 'harness') } : {});
  }

  /** Starts the hub and the harness (nodes built, not joined). */
  static async start(opts: FleetRunOptions): Promise<FleetRun> {
    const hubDir = await mkdtemp(join(tmpdir(), 'fleet-hub-'));
    const run = new FleetRun(opts, hubDir);
    run.#tmp.push(hubDir);
    let identityDir = opts.identityDir;
    if (identityDir === undefined) {
      identityDir = await mkdtemp(join(tmpdir(), 'fleet-nodes-'));
      run.#tmp.push(identityDir);
    }
    try {
      await run.hub.start();
      run.#token = await run.hub.adminToken();
      run.#caPem = await run.hub.caPem();
      run.http = new HubHttp(run.hub.url, run.#token, run.#caPem);
      run.watch = new NodeWatch(() => run.hub.url, run.#token, run.#caPem, `${run.prefix}-`);
      await run.harness.send({
        cmd: 'init',
        server: run.hub.url,
        tokenFile: run.hub.tokenFile,
        dataDir: identityDir,
        nodes: opts.nodes,
        prefix: run.prefix,
        ...(opts.tuning ? { tuning: opts.tuning } : {}),
      });
    } catch (err) {
      await run.close();
      throw err;
    }
    return run;
  }

  /** A fresh HTTP client after a hub restart (kept-alive sockets to the dead process are useless). */
  async reconnectHttp(): Promise<void> {
    const old = this.http;
    this.http = new HubHttp(this.hub.url, this.#token, this.#caPem);
    await old.close().catch(() => undefined);
  }

  /** Stops everything and removes temporary dirs (a CPU profile is written on the hub's clean exit). */
  async close(): Promise<void> {
    await this.watch?.stop().catch(() => undefined);
    await this.harness.close().catch(() => undefined);
    await this.hub.stop().catch(() => undefined);
    await this.http?.close().catch(() => undefined);
    for (const d of this.#tmp) await rm(d, { recursive: true, force: true }).catch(() => undefined);
  }
}

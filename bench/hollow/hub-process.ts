/**
 * A real `edge-hub` process for fleet runs, started from the `bin/edge-hub.js` of a given checkout
 * (this repo, or another worktree's build), killed with SIGKILL and restarted on the same data dir
 * and port, as an operator's crash would. Output is kept bounded (the last 64 KiB of each stream).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

const KEEP = 64 * 1024;

/** Options of a hub process. */
export interface HubProcessOptions {
  /** Checkout whose `bin/edge-hub.js` (and built `dist/`) is run. */
  repo: string;
  dataDir: string;
  /** Extra hub flags (`--heartbeat-interval 5s`, …). */
  flags?: string[];
  /** Write a V8 CPU profile of the hub into this directory (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** Options for the hub's `node` itself (`--max-semi-space-size=64`), before the script. */
  nodeOptions?: string[];
  /** A file the hub's whole stdout and stderr are appended to (only the tail is kept otherwise). */
  output?: string;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The hub process of a fleet run. */
export class HubProcess {
  url = '';
  #child: ChildProcess | undefined;
  #out = '';
  #err = '';
  #port = 0;
  /** Warnings and errors the hub logged, counted by message (what a drop or a stall was, per the hub). */
  readonly #warnings = new Map<string, number>();
  #partial = '';

  constructor(private readonly opts: HubProcessOptions) {}

  /** The hub's logged warnings and errors since the last call, by message, most frequent first. */
  takeWarnings(): Array<[string, number]> {
    const out = [...this.#warnings].sort((a, b) => b[1] - a[1]);
    this.#warnings.clear();
    return out;
  }

  /** Counts the warn/error lines of the hub's JSON log (pino levels 40 and up). */
  #countWarnings(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = (lines.pop() ?? '').slice(-KEEP);
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const rec = JSON.parse(line) as { level?: number; msg?: string };
        if ((rec.level ?? 0) >= 40 && rec.msg) {
          const msg = rec.msg.slice(0, 120);
          this.#warnings.set(msg, (this.#warnings.get(msg) ?? 0) + 1);
        }
      } catch {
        // not a log record
      }
    }
  }

  /** Process id of the running hub. */
  get pid(): number {
    const pid = this.#child?.pid;
    if (pid === undefined) throw new Error('the hub is not running');
    return pid;
  }

  /** The last of the hub's stderr (for failure reports). */
  get stderr(): string {
    return this.#err;
  }

  /** Path of the hub's join token. */
  get tokenFile(): string {
    return join(this.opts.dataDir, 'join.token');
  }

  /** The admin bearer token (read from the data dir; never printed). */
  async adminToken(): Promise<string> {
    return (await readFile(join(this.opts.dataDir, 'admin.token'), 'utf8')).trim();
  }

  /** The cluster CA the API is verified with. */
  async caPem(): Promise<string> {
    return readFile(join(this.opts.dataDir, 'pki', 'ca.crt'), 'utf8');
  }

  /** Starts the hub and resolves with its URL once it serves (`timeoutMs` to get there). */
  async start(timeoutMs = 120_000): Promise<string> {
    if (this.#port === 0) this.#port = await freePort();
    const nodeFlags = [
      ...(this.opts.nodeOptions ?? []),
      ...(this.opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', this.opts.cpuProfDir] : []),
    ];
    const child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        join(this.opts.repo, 'bin', 'edge-hub.js'),
        '--data-dir',
        this.opts.dataDir,
        '--listen',
        `127.0.0.1:${this.#port}`,
        ...(this.opts.flags ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
    );
    this.#child = child;
    this.#out = '';
    if (this.opts.output) {
      // Across restarts (the storm), one file: each start appends.
      const file = createWriteStream(this.opts.output, { flags: 'a' });
      child.stdout?.pipe(file, { end: false });
      child.stderr?.pipe(file, { end: false });
      child.once('close', () => file.end());
    }
    child.stdout?.on('data', (d: Buffer) => {
      this.#out = (this.#out + d.toString()).slice(-KEEP);
      this.#countWarnings(d.toString());
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#err = (this.#err + d.toString()).slice(-KEEP);
      this.#countWarnings(d.toString());
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /serving (https?:\/\/\S+)/.exec(this.#out);
      if (m?.[1]) return (this.url = m[1]);
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the hub exited (${child.exitCode ?? child.signalCode}): ${this.#err.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`the hub did not serve within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL, as a crash: nothing is flushed. */
  async kill9(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGSTOP (`true`) or SIGCONT (`false`): the whole process stands still, as in a long stall of its loop. */
  pause(stopped: boolean): void {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error('the hub is not running');
    child.kill(stopped ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGTERM and wait (a `--cpu-prof` profile is written on a clean exit). */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  async #signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

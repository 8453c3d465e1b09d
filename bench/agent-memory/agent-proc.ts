/**
 * One `edge-node` process under measurement: started (optionally inside a memory cgroup) with
 * diagnostics on signals, and read from outside — /proc, a diagnostic report, the inspector — so
 * nothing is added to the agent itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type Cluster, ROOT, rssBytes, until } from '../wasm-support.js';
import { ADDRESS, MB, SETTLE_MS } from './options.js';

/** What one stage of a run measured. */
export interface Stage {
  rssMb: number;
  heapUsedMb: number;
  threads: number;
}

/** An `edge-node` process, optionally started inside a memory cgroup, with diagnostics on signals. */
export class AgentProc {
  readonly child: ChildProcess;
  err = '';
  readonly reportDir: string;

  constructor(
    cluster: Cluster,
    name: string,
    meshPort: number,
    nodeOptions: string,
    cgroupDir?: string,
    extraArgs: string[] = [],
    extraEnv = '',
    /** A restart of a joined node: its stored certificate, no join token (no CSR, so no x509 stack). */
    restart = false,
  ) {
    const dataDir = join(cluster.dir, name);
    this.reportDir = join(cluster.dir, `${name}-reports`);
    mkdirSync(this.reportDir, { recursive: true });
    // V8 flags go on the command line: some (--optimize-for-size) are refused in NODE_OPTIONS.
    const node = [
      process.execPath,
      ...nodeOptions.split(' ').filter(Boolean),
      join(ROOT, 'bin', 'edge-node.js'),
      '--server',
      cluster.url,
      ...(restart ? [] : ['--token-file', join(cluster.hubDir, 'join.token')]),
      '--name',
      name,
      '--address',
      ADDRESS,
      '--mesh-port',
      String(meshPort),
      '--data-dir',
      dataDir,
      '--max-pods',
      '200',
      // The "every pod deleted" stage measures what a node gives back: end the executors with the last pod.
      '--wasm-idle-release',
      '0',
      ...extraArgs,
    ];
    const env = {
      ...process.env,
      EDGE_LOG_LEVEL: 'warn',
      ...Object.fromEntries(
        extraEnv
          .split(' ')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]),
      ),
      NODE_OPTIONS: `--report-on-signal --report-signal=SIGUSR2 --report-directory=${this.reportDir} --inspect-port=${ADDRESS}:0`,
    };
    // In a cgroup: the shell moves itself in, then becomes the agent (so the agent starts there and
    // its memory budget sees the cgroup's limit from the first line).
    this.child = cgroupDir
      ? spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroupDir, ...node], {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(node[0]!, node.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-20_000)));
  }

  /** The agent's process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** The agent's thread count, from /proc (executor workers and the transpile worker are threads). */
  threads(): number {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
  }

  /** V8 heap used, from a diagnostic report written on SIGUSR2. */
  async heapUsed(): Promise<number> {
    const before = new Set(readdirSync(this.reportDir));
    this.child.kill('SIGUSR2');
    const file = await until(
      'a diagnostic report',
      () => readdirSync(this.reportDir).find((f) => !before.has(f) && f.endsWith('.json')),
      10_000,
      50,
    );
    const report = await until(
      'the report written',
      () => {
        try {
          return JSON.parse(readFileSync(join(this.reportDir, file), 'utf8')) as {
            javascriptHeap: { usedMemory: number };
          };
        } catch {
          return undefined;
        }
      },
      10_000,
      50,
    );
    return report.javascriptHeap.usedMemory;
  }

  /** Opens the inspector (SIGUSR1) and counts the scripts the main thread has parsed, by origin. */
  async modules(): Promise<{ app: number; deps: number; node: number; packages: string }> {
    this.child.kill('SIGUSR1');
    const url = await until(
      'the inspector URL',
      () => /Debugger listening on (ws:\/\/\S+)/.exec(this.err)?.[1],
      10_000,
      50,
    );
    const ws = new WebSocket(url);
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    const urls: string[] = [];
    let idle: NodeJS.Timeout | undefined;
    const done = new Promise<void>((res) => {
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as { method?: string; params?: { url?: string } };
        if (msg.method === 'Debugger.scriptParsed' && msg.params?.url) urls.push(msg.params.url);
        clearTimeout(idle);
        idle = setTimeout(res, 500);
      });
    });
    ws.send(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
    await done;
    ws.close();
    const files = urls.filter((u) => u.startsWith('file:'));
    // Scripts per package (a scoped package counts under its scope/name), most first.
    const perPackage = new Map<string, number>();
    for (const u of files) {
      const rest = u.split('/node_modules/').pop()!;
      if (rest === u) continue;
      const parts = rest.split('/');
      const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + 1);
    }
    const packages = [...perPackage]
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${p} ${n}`)
      .join(', ');
    return {
      packages,
      app: files.filter((u) => !u.includes('/node_modules/')).length,
      deps: files.filter((u) => u.includes('/node_modules/')).length,
      node: urls.filter((u) => u.startsWith('node:')).length,
    };
  }

  /**
   * Reads one stage after `--settle-ms`: RSS and threads first, then the heap (the report is taken
   * after the RSS read, so writing it does not show in the RSS).
   */
  async stage(): Promise<Stage> {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssMb = rssBytes(this.pid) / MB;
    const threads = this.threads();
    const heapUsedMb = (await this.heapUsed()) / MB;
    return { rssMb, heapUsedMb, threads };
  }

  /** SIGKILLs the agent (if still running) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await gone;
  }
}

/**
 * Agent memory benchmark (prints figures; not a test): how much an `edge-node` holds idle, with N
 * `hello-c` pods, and after they are all deleted; then the same agent inside a 256 MB memory cgroup
 * hosting 50 pods with the small-device V8 flags. A real hub and real `edge-node` processes.
 *
 * For each stage, read from outside the process (nothing added to the agent):
 * - RSS and thread count from /proc (executor workers and the transpile worker are threads);
 * - V8 heap used, from a diagnostic report (`--report-on-signal`, SIGUSR2) taken after the RSS read;
 * - at the end of a run, the modules the main thread has loaded: the inspector is opened with
 *   SIGUSR1 (`--inspect-port=<addr>:0`) and `Debugger.enable` lists every parsed script (the
 *   inspector perturbs memory, so it comes last).
 *
 * Run: npm run build && npx tsx bench/agent-memory.ts [--pods 10,50] [--cgroup-mb 256] [--settle-ms 5000] [--address 127.0.62.2]
 *      [--parts main] [--main-env 'MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072']
 *        [--idle-flags '<node flags>|<VAR=value ...>;…'] [--v8-flags '<node flags of the cgroup run>']
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  Cluster,
  ROOT,
  WASM,
  applyAndWait,
  deployment,
  freePort,
  readyPods,
  rssBytes,
  runBench,
  until,
} from './wasm-support.js';
import { kind } from '../test/support/cluster.js';
import type { Pod } from '../src/api/index.js';

const MB = 1024 * 1024;
const flag = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
/** The agents' loopback address (`--address`, for runs beside other benchmarks). */
const ADDRESS = flag('address', '127.0.62.2');
const POD_COUNTS = flag('pods', '10,50').split(',').map(Number);
const CGROUP_MB = Number(flag('cgroup-mb', '256'));
const SETTLE_MS = Number(flag('settle-ms', '5000'));
/** The V8 flags README "Running on small devices" recommends (on node's command line, before the script). */
const SMALL_DEVICE_FLAGS = flag('v8-flags', '--max-old-space-size=96 --max-semi-space-size=1 --optimize-for-size');
/** Environment of the small-device run: fewer glibc malloc arenas (each thread would get its own). */
const SMALL_DEVICE_ENV = flag('env', 'MALLOC_ARENA_MAX=2');
/**
 * Fresh idle agents, one per entry: `<node flags>|<VAR=value ...>` (`;`-separated; the first
 * without flags).
 */
const IDLE_FLAGS = [
  '',
  ...flag('idle-flags', `${'--max-semi-space-size=1 --optimize-for-size'}|MALLOC_ARENA_MAX=2`).split(';'),
];
/**
 * Agent flags of the small-device run: the cgroup's 256 MB would give a Wasm budget of 128 MiB, one
 * pod at the default 128 MiB linear-memory limit; `hello-c` needs a few pages.
 */
const SMALL_DEVICE_ARGS = ['--wasm-default-memory-limit', '2Mi'];
/** Environment of the first agent (idle → pods → none), e.g. `MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072`. */
const MAIN_ENV = flag('main-env', '');
/** `main`: only the first agent's stages (idle → pods → none); `all` (default) also the fresh, restarted and cgroup agents. */
const PARTS = flag('parts', 'all');

interface Stage {
  rssMb: number;
  heapUsedMb: number;
  threads: number;
}

/** An `edge-node` process, optionally started inside a memory cgroup, with diagnostics on signals. */
class AgentProc {
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

  get pid(): number {
    return this.child.pid!;
  }

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
  async modules(): Promise<{ app: number; deps: number; node: number }> {
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
    return {
      app: files.filter((u) => !u.includes('/node_modules/')).length,
      deps: files.filter((u) => u.includes('/node_modules/')).length,
      node: urls.filter((u) => u.startsWith('node:')).length,
    };
  }

  async stage(): Promise<Stage> {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssMb = rssBytes(this.pid) / MB;
    const threads = this.threads();
    const heapUsedMb = (await this.heapUsed()) / MB;
    return { rssMb, heapUsedMb, threads };
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await gone;
  }
}

const show = (label: string, s: Stage): void =>
  console.log(
    `  ${label.padEnd(28)} RSS ${s.rssMb.toFixed(1).padStart(6)} MB   heap used ${s.heapUsedMb.toFixed(1).padStart(5)} MB   threads ${String(s.threads).padStart(3)}`,
  );

/** Scales the `hello-c` Deployment (pinned to `node`) and waits until exactly `n` pods run on it. */
async function scaleTo(cluster: Cluster, node: string, n: number, nodePort: number): Promise<void> {
  const extra = `\n      nodeSelector: {kubernetes.io/hostname: ${node}}`;
  if (n > 0) {
    await applyAndWait(
      cluster,
      deployment('hello-c', WASM.helloC, n, nodePort).replace(
        '      containers:',
        `${extra.slice(1)}\n      containers:`,
      ),
      'hello-c',
      n,
    );
    return;
  }
  const r = await cluster.edgectl(['delete', 'deployment', 'hello-c']);
  if (r.code !== 0) throw new Error(`delete failed: ${r.stderr}`);
  await until(
    'every hello-c pod gone',
    async () =>
      (await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: 'app=hello-c' })).items
        .length === 0,
    300_000,
    200,
  );
}

/** Every pod answers once through the NodePort (its instances are touched). */
async function requestEach(n: number, nodePort: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://${ADDRESS}:${nodePort}/`);
    await res.arrayBuffer();
    if (res.status === 200) ok++;
  }
  return ok;
}

/** A child memory cgroup of this process's own (v2 when the unified tree has the controller, else v1). */
function memoryCgroup(
  name: string,
  limitBytes: number,
): { dir: string; peak(): number; events(): string; remove(): void } {
  const unified = '/sys/fs/cgroup';
  const v2 =
    existsSync(join(unified, 'cgroup.controllers')) &&
    readFileSync(join(unified, 'cgroup.controllers'), 'utf8').includes('memory');
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  if (v2) {
    const path = own.find((l) => l.startsWith('0::'))!.slice(3);
    const dir = join(unified, path, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    writeFileSync(join(dir, 'memory.swap.max'), '0');
    return {
      dir,
      peak: () => (existsSync(join(dir, 'memory.peak')) ? Number(readFileSync(join(dir, 'memory.peak'), 'utf8')) : NaN),
      events: () => readFileSync(join(dir, 'memory.events'), 'utf8').replace(/\n/g, ' ').trim(),
      remove: () => removeCgroup(dir),
    };
  }
  const path = own.find((l) => /^\d+:memory:/.test(l))!.replace(/^\d+:memory:/, '');
  const dir = join(unified, 'memory', path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  return {
    dir,
    peak: () => Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    events: () =>
      `failcnt ${readFileSync(join(dir, 'memory.failcnt'), 'utf8').trim()}, ` +
      readFileSync(join(dir, 'memory.oom_control'), 'utf8').replace(/\n/g, ' ').trim(),
    remove: () => removeCgroup(dir),
  };
}

/** Removes a cgroup directory (rmdir: its files cannot be unlinked); one still busy is left, with a note. */
function removeCgroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    console.log(`  cgroup ${dir} left in place: ${String(err)}`);
  }
}

async function main(): Promise<void> {
  console.log(
    `edgeplane agent memory benchmark — node ${process.version}, ${POD_COUNTS.join('/')} hello-c pods, shared machine`,
  );
  const cluster = new Cluster();
  const agents: AgentProc[] = [];
  try {
    await cluster.startHub();
    const nodePort = 30620;

    console.log(`default flags${MAIN_ENV ? `, ${MAIN_ENV}` : ''}:`);
    const a = new AgentProc(cluster, 'mem-1', await freePort(ADDRESS), '', undefined, [], MAIN_ENV);
    agents.push(a);
    await cluster.waitNodesReady(['mem-1']);
    const idle = await a.stage();
    show('idle, no pod', idle);
    let peak = idle;
    for (const n of POD_COUNTS) {
      await scaleTo(cluster, 'mem-1', n, nodePort);
      const ok = await requestEach(n, nodePort);
      const s = await a.stage();
      if (s.rssMb > peak.rssMb) peak = s;
      show(`${n} hello-c pods (${ok} answered)`, s);
    }
    await scaleTo(cluster, 'mem-1', 0, nodePort);
    const none = await a.stage();
    show('every pod deleted', none);
    // What the node gave back: the part of the pods' growth returned to the system.
    const grown = peak.rssMb - idle.rssMb;
    console.log(
      `  RSS ratios: peak/idle ${(peak.rssMb / idle.rssMb).toFixed(2)}, deleted/idle ${(none.rssMb / idle.rssMb).toFixed(2)}; given back ${grown > 0 ? (((peak.rssMb - none.rssMb) / grown) * 100).toFixed(0) : '-'}% of the pods' growth`,
    );
    const m = await a.modules();
    console.log(
      `  main-thread scripts after the run: ${m.app} edgeplane, ${m.deps} node_modules, ${m.node} node: built-ins`,
    );
    await a.kill();
    if (PARTS === 'main') return;

    for (const [i, flags] of IDLE_FLAGS.entries()) {
      const [nodeOptions = '', env = ''] = flags.split('|');
      const fresh = new AgentProc(cluster, `mem-idle-${i}`, await freePort(ADDRESS), nodeOptions, undefined, [], env);
      agents.push(fresh);
      await cluster.waitNodesReady([`mem-idle-${i}`]);
      show(`fresh agent, idle ${flags || '(no flags)'}`, await fresh.stage());
      if (i === 0) {
        const fm = await fresh.modules();
        console.log(
          `  main-thread scripts idle: ${fm.app} edgeplane, ${fm.deps} node_modules, ${fm.node} node: built-ins`,
        );
      }
      await fresh.kill();
      if (i === 0) {
        // The usual idle agent: restarted (a reboot, an upgrade) with the certificate it stored.
        const again = new AgentProc(cluster, `mem-idle-${i}`, await freePort(ADDRESS), '', undefined, [], '', true);
        agents.push(again);
        await cluster.waitNodesReady([`mem-idle-${i}`]);
        show('restarted agent, idle', await again.stage());
        const rm = await again.modules();
        console.log(`  main-thread scripts: ${rm.app} edgeplane, ${rm.deps} node_modules, ${rm.node} node: built-ins`);
        await again.kill();
      }
    }

    if (CGROUP_MB > 0) {
      const n = Math.max(...POD_COUNTS);
      console.log(
        `in a ${CGROUP_MB} MB memory cgroup, node ${SMALL_DEVICE_FLAGS}, ${SMALL_DEVICE_ENV}, ${SMALL_DEVICE_ARGS.join(' ')}, ${n} pods:`,
      );
      const cg = memoryCgroup(`edgeplane-agent-memory-${process.pid}`, CGROUP_MB * MB);
      try {
        const c = new AgentProc(
          cluster,
          'mem-3',
          await freePort(ADDRESS),
          SMALL_DEVICE_FLAGS,
          cg.dir,
          SMALL_DEVICE_ARGS,
        );
        agents.push(c);
        await cluster.waitNodesReady(['mem-3']);
        show('idle, no pod', await c.stage());
        await cluster.edgectl(['delete', 'node', 'mem-1']);
        await scaleTo(cluster, 'mem-3', n, nodePort);
        const ok = await requestEach(n, nodePort);
        show(`${n} hello-c pods (${ok} answered)`, await c.stage());
        const alive = c.child.exitCode === null && c.child.signalCode === null;
        console.log(
          `  agent alive: ${alive}; ready pods ${await readyPods(cluster, 'hello-c')}; cgroup peak ${(cg.peak() / MB).toFixed(1)} MB; ${cg.events()}`,
        );
        await c.kill();
      } finally {
        cg.remove();
      }
    }
  } catch (err) {
    for (const a of agents) console.log(`--- agent stderr (tail)\n${a.err.slice(-3000)}`);
    throw err;
  } finally {
    for (const a of agents) await a.kill();
    await cluster.stop();
  }
}

runBench(main);

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
 * The three runs are in bench/agent-memory/ (`main-agent.ts`, `idle-agents.ts`, `cgroup-agent.ts`),
 * with the measured process (`agent-proc.ts`) and the flags (`options.ts`); this file orders them.
 *
 * Run: npm run build && npx tsx bench/agent-memory.ts [--pods 10,50] [--cgroup-mb 256] [--settle-ms 5000] [--address 127.0.62.2]
 *      [--parts main|idle] [--main-env 'MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072']
 *        [--idle-flags '<node flags>|<VAR=value ...>;…'] [--v8-flags '<node flags of the cgroup run>']
 */
import { Cluster, runBench } from './wasm-support.js';
import type { AgentProc } from './agent-memory/agent-proc.js';
import { measureCgroupAgent } from './agent-memory/cgroup-agent.js';
import { measureIdleAgents } from './agent-memory/idle-agents.js';
import { measureMainAgent } from './agent-memory/main-agent.js';
import { CGROUP_MB, PARTS, POD_COUNTS } from './agent-memory/options.js';

async function main(): Promise<void> {
  console.log(
    `edgeplane agent memory benchmark — node ${process.version}, ${POD_COUNTS.join('/')} hello-c pods, shared machine`,
  );
  const cluster = new Cluster();
  const agents: AgentProc[] = [];
  try {
    await cluster.startHub();
    const nodePort = 30620;

    if (PARTS !== 'idle') await measureMainAgent(cluster, agents, nodePort);
    if (PARTS === 'main') return;
    await measureIdleAgents(cluster, agents);
    if (CGROUP_MB > 0) await measureCgroupAgent(cluster, agents, nodePort);
  } catch (err) {
    for (const a of agents) console.log(`--- agent stderr (tail)\n${a.err.slice(-3000)}`);
    throw err;
  } finally {
    for (const a of agents) await a.kill();
    await cluster.stop();
  }
}

runBench(main);

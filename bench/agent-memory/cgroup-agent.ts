/**
 * The small-device run: one agent inside a memory cgroup of `--cgroup-mb`, with the small-device V8
 * flags, hosting the largest pod count; did it stay alive, and what did the cgroup see at its peak?
 */
import { type Cluster, freePort, readyPods } from '../wasm-support.js';
import { AgentProc } from './agent-proc.js';
import { memoryCgroup } from './cgroup.js';
import { MAIN_NODE } from './main-agent.js';
import {
  ADDRESS,
  CGROUP_MB,
  MB,
  POD_COUNTS,
  SMALL_DEVICE_ARGS,
  SMALL_DEVICE_ENV,
  SMALL_DEVICE_FLAGS,
} from './options.js';
import { show } from './report.js';
import { requestEach, scaleTo } from './workload.js';

/** Runs the agent in its cgroup (removed after) idle, then with the pods; it is added to `agents`. */
export async function measureCgroupAgent(cluster: Cluster, agents: AgentProc[], nodePort: number): Promise<void> {
  const n = Math.max(...POD_COUNTS);
  console.log(
    `in a ${CGROUP_MB} MB memory cgroup, node ${SMALL_DEVICE_FLAGS}, ${SMALL_DEVICE_ENV}, ${SMALL_DEVICE_ARGS.join(' ')}, ${n} pods:`,
  );
  const cg = memoryCgroup(`edgeplane-agent-memory-${process.pid}`, CGROUP_MB * MB);
  try {
    const port = await freePort(ADDRESS);
    const c = new AgentProc(cluster, 'mem-3', port, SMALL_DEVICE_FLAGS, cg.dir, SMALL_DEVICE_ARGS, SMALL_DEVICE_ENV);
    agents.push(c);
    await cluster.waitNodesReady(['mem-3']);
    show('idle, no pod', await c.stage());
    await cluster.edgectl(['delete', 'node', MAIN_NODE]);
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

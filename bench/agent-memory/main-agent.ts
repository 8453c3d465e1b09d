/**
 * The first agent of the run, with node's default flags (and `--main-env`): idle, with each pod count,
 * and after every pod is deleted; then the modules its main thread loaded.
 */
import { type Cluster, freePort } from '../wasm-support.js';
import { AgentProc } from './agent-proc.js';
import { ADDRESS, MAIN_ENV, POD_COUNTS } from './options.js';
import { show } from './report.js';
import { requestEach, scaleTo } from './workload.js';

/** The first agent's node name (the small-device run deletes it from the hub). */
export const MAIN_NODE = 'mem-1';

/**
 * Runs the first agent through idle → each of `POD_COUNTS` → every pod deleted, printing each stage
 * and the RSS it gave back. The agent is added to `agents` (the caller's error report and cleanup).
 */
export async function measureMainAgent(cluster: Cluster, agents: AgentProc[], nodePort: number): Promise<void> {
  console.log(`default flags${MAIN_ENV ? `, ${MAIN_ENV}` : ''}:`);
  const a = new AgentProc(cluster, MAIN_NODE, await freePort(ADDRESS), '', undefined, [], MAIN_ENV);
  agents.push(a);
  await cluster.waitNodesReady([MAIN_NODE]);
  const idle = await a.stage();
  show('idle, no pod', idle);
  let peak = idle;
  for (const n of POD_COUNTS) {
    await scaleTo(cluster, MAIN_NODE, n, nodePort);
    const ok = await requestEach(n, nodePort);
    const s = await a.stage();
    if (s.rssMb > peak.rssMb) peak = s;
    show(`${n} hello-c pods (${ok} answered)`, s);
  }
  await scaleTo(cluster, MAIN_NODE, 0, nodePort);
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
}

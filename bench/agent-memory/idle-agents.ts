/**
 * The floor no agent can go below (`floor.ts`), then fresh idle agents, one per `--idle-flags` entry
 * (the first with no flags), and the usual idle agent: the first one restarted with the certificate it
 * stored.
 */
import { type Cluster, freePort } from '../wasm-support.js';
import { AgentProc } from './agent-proc.js';
import { measureFloors } from './floor.js';
import { ADDRESS, IDLE_FLAGS, SMALL_DEVICE_FLAGS } from './options.js';
import { show } from './report.js';

/** Starts, measures idle and kills each fresh agent (and the restart); each is added to `agents`. */
export async function measureIdleAgents(cluster: Cluster, agents: AgentProc[]): Promise<void> {
  await measureFloors(SMALL_DEVICE_FLAGS.replace(/--max-old-space-size=\S+/, ''));
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
      console.log(`  node_modules scripts by package: ${fm.packages}`);
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
      console.log(`  node_modules scripts by package: ${rm.packages}`);
      await again.kill();
    }
  }
}

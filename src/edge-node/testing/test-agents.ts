/**
 * Agents for tests over real sockets: a port free right now, and agents of a `FakeHub` created with
 * test settings (silent logger, a free mesh port, 5 ms status batches) and started.
 */
import { silentLogger } from '../../platform/index.js';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Runtime } from '../../api/index.js';
import { Agent, type AgentDeps } from '../agent.js';
import type { FakeHub } from './fake-hub.js';

/** A port nothing listens on at `host` now (a test's NodePort, or a dead peer's mesh port). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One node of a test cluster. */
export interface TestNode {
  nodeName: string;
  address: string;
  runtimes: Runtime[];
}

/** Creates and starts, one after the other, an agent per node against `hub`, each with its data dir under `dir`. */
export async function startAgents<const N extends readonly TestNode[]>(
  hub: FakeHub,
  dir: string,
  nodes: N,
  extra: Partial<AgentDeps> = {},
): Promise<{ [K in keyof N]: Agent }> {
  const agents: Agent[] = [];
  for (const node of nodes) {
    const agent = await Agent.create({
      hubUrl: hub.url,
      token: hub.token,
      meshPort: 0,
      labels: {},
      logger: silentLogger(),
      backoff: { statusBatchMs: 5 },
      dataDir: path.join(dir, node.nodeName),
      ...node,
      ...extra,
    });
    agents.push(agent);
  }
  for (const agent of agents) await agent.start();
  return agents as { [K in keyof N]: Agent };
}

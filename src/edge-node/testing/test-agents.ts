/**
 * Agents for tests over real sockets: a port free right now, agents of a `FakeHub` created with
 * test settings (silent logger, a free mesh port, 5 ms status batches) and started, and the rig of a
 * test about one agent (a fake hub, a temporary data dir, node `node-a` on 127.0.0.1).
 */
import { silentLogger } from '../../platform/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Runtime } from '../../api/index.js';
import { Agent, type AgentDeps } from '../agent.js';
import { FakeHub } from './fake-hub.js';

/** A port nothing listens on at `host` now (a test's NodePort, or a dead peer's mesh port). */
export { freePort } from '../../../test/support/net.js';

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

/**
 * One agent's test rig: a started `FakeHub` and a temporary data dir; `startAgent` creates and starts
 * node `node-a` on 127.0.0.1 against them (again after a stop: the same data dir, as a restart).
 * Whatever the hub should hold at the agent's first hello (pods, Services) is set before `startAgent`.
 */
export class AgentRig {
  /** The agent last started. */
  agent: Agent | undefined;

  private constructor(
    readonly hub: FakeHub,
    readonly dir: string,
  ) {}

  /** Starts the fake hub and makes the data dir (`<tmp>/<prefix>XXXXXX`). */
  static async start(prefix: string): Promise<AgentRig> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    return new AgentRig(await FakeHub.start(), dir);
  }

  /** Creates and starts the agent: test defaults (no labels, silent, a free mesh port) under `deps`. */
  async startAgent(deps: Partial<AgentDeps> & Pick<AgentDeps, 'runtimes'>): Promise<Agent> {
    const agent = await Agent.create({
      hubUrl: this.hub.url,
      token: this.hub.token,
      nodeName: 'node-a',
      address: '127.0.0.1',
      meshPort: 0,
      dataDir: this.dir,
      labels: {},
      logger: silentLogger(),
      ...deps,
    });
    this.agent = agent;
    await agent.start();
    return agent;
  }

  /** Stops the agent and the hub, and removes the data dir. */
  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.hub.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

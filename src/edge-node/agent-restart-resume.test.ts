/**
 * The pod-set position survives an agent restart (issue 20): the real agent, a real hub (through a
 * proxy that counts frames) and the agent's real data dir. After a restart with 100 pods, one of them
 * changed while the agent was down, the hub answers the first `hello` with a `podResume` of that one
 * pod, not the whole set; the frames and bytes are printed beside the first connection's whole set.
 * A corrupt position file is survived: warned with its path, and the whole set is sent.
 */
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pod as PodSchema, typeByKind } from '../api/index.js';
import type { Pod } from '../api/index.js';
import { CutProxy, startGatewayHub, until, type GatewayTestHub, type WireFrame } from '../hub/testing/index.js';
import { Agent } from './agent.js';
import { POD_POSITION_FILE } from './session/pod-position-file.js';
import { FakeRuntime } from './testing/fake-runtime.js';

const POD = typeByKind('v1', 'Pod')!;
const NODE = 'restart-node';
const PODS = 100;

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'restart', v: '1' } },
  spec: { nodeName: NODE, containers: [{ name: 'c', image: 'hello-c.wasm', env: [{ name: 'N', value: name }] }] },
});

/** Frames and bytes of one connection, by direction, and the hub's frame types. */
function tally(frames: WireFrame[]): { text: string; types: string[]; bytesOf(type: string): number } {
  const hub = frames.filter((f) => f.from === 'hub');
  const node = frames.filter((f) => f.from === 'node');
  const sum = (fs: WireFrame[]): number => fs.reduce((n, f) => n + f.bytes, 0);
  return {
    text: `hub→node ${hub.length} frames ${sum(hub)} B; node→hub ${node.length} frames ${sum(node)} B`,
    types: hub.map((f) => f.type ?? ''),
    bytesOf: (type) => sum(hub.filter((f) => f.type === type)),
  };
}

describe('the pod-set position across an agent restart', () => {
  let t: GatewayTestHub;
  let proxy: CutProxy;
  let dir: string;
  const warnings: string[] = [];
  const running = new Set<Agent>();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });

  const startAgent = async (): Promise<Agent> => {
    const agent: Agent = await Agent.create({
      hubUrl: proxy.url,
      token: t.token,
      nodeName: NODE,
      address: '127.0.0.1',
      meshPort: 0,
      dataDir: dir,
      labels: {},
      runtimes: [new FakeRuntime()],
      logger,
      backoff: { session: { initialMs: 50, maxMs: 200, spreadMs: 50 }, statusBatchMs: 10 },
    });
    running.add(agent);
    await agent.start();
    return agent;
  };
  /** Starts an agent and waits for its first connection's pod set and the Service set after it. */
  const restart = async (): Promise<{ agent: Agent; frames: WireFrame[] }> => {
    const before = proxy.connections.length;
    const agent = await startAgent();
    await until(
      () =>
        agent.connected &&
        agent.podStatuses().length === PODS &&
        proxy.connections.at(-1) !== proxy.connections[before - 1] &&
        proxy.connections.at(-1)!.some((f) => f.type === 'serviceSet'),
      'the agent’s pod set',
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}: connected ${agent.connected}, pods ${agent.podStatuses().length}, frames ${proxy.connections
          .at(-1)
          ?.map((f) => f.type)
          .join(' ')}; ${warnings.join('')}`,
      );
    });
    return { agent, frames: proxy.connections.at(-1)! };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'agent-restart-'));
    t = await startGatewayHub();
    proxy = await CutProxy.start(Number(new URL(t.url).port));
    for (let i = 0; i < PODS; i++) await t.hub.api.create(POD, pod(`p-${i}`));
  });
  afterAll(async () => {
    for (const a of running) await a.stop();
    await proxy.stop();
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes a restarted agent’s 100 pods from its kept position, and survives a corrupt file', async () => {
    const first = await restart();
    const whole = tally(first.frames);
    expect(whole.types).toContain('podSync');
    await first.agent.stop();

    // While the agent is down: one pod changes (a label), and every pod's status is written.
    const changed = await t.hub.api.get<Pod>(POD, 'default', 'p-1');
    await t.hub.api.update(POD, { ...changed, metadata: { ...changed.metadata, labels: { app: 'restart', v: '2' } } });
    for (let i = 0; i < PODS; i++) {
      const p = await t.hub.api.get<Pod>(POD, 'default', `p-${i}`);
      await t.hub.api.updateStatus(POD, { ...p, status: { phase: 'Running', message: `down ${i}` } });
    }

    const second = await restart();
    const resumed = tally(second.frames);
    expect(resumed.types).toContain('podResume');
    expect(resumed.types).not.toContain('podSync');
    await second.agent.stop();
    // The change reached the node: its local state holds the new label.
    const stored = PodSchema.parse(
      JSON.parse(await readFile(path.join(dir, 'pods', `${changed.metadata.uid!}.json`), 'utf8')),
    );
    expect(stored.metadata.labels?.v).toBe('2');

    // A corrupt file: warned with its path, the whole set instead, and a valid file written after it.
    const file = path.join(dir, POD_POSITION_FILE);
    await writeFile(file, '{"kind":"PodPosition","version":1,"node":"restart-n');
    warnings.length = 0;
    const third = await restart();
    const again = tally(third.frames);
    expect(again.types).toContain('podSync');
    expect(warnings.some((w) => w.includes(file) && w.includes('torn'))).toBe(true);
    await third.agent.stop();
    const rewritten = JSON.parse(await readFile(file, 'utf8')) as { node: string; pods: string };
    expect(rewritten.node).toBe(NODE);
    expect(rewritten.pods.split(',').length).toBe(PODS);

    console.log(
      [
        `pod set at the first hello after an agent restart, ${PODS} pods (1 changed, ${PODS} status writes while down):`,
        `  no position (first start): ${whole.text} (podSync ${whole.bytesOf('podSync')} B)`,
        `  kept position (restart):   ${resumed.text} (podResume ${resumed.bytesOf('podResume')} B)`,
        `  corrupt position file:     ${again.text} (podSync ${again.bytesOf('podSync')} B)`,
      ].join('\n'),
    );
  });
});

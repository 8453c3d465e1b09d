/**
 * Pod-set resumption (issue 20, protocol 9) between a real hub and the agent's real `HubSession`,
 * through a proxy that cuts the link: 100 pods, an outage during which every pod's status is written
 * (store revisions move) and one pod is added, one changed and one deleted; on reconnect the hub sends
 * only those changes, and the node ends with exactly the hub's desired set. The frames and bytes of
 * the reconnect are printed, with the whole set (a fresh agent process) for comparison.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { HubToNode, Pod } from '../../api/index.js';
import { HubSession } from '../../edge-node/index.js';
import { CutProxy, type WireFrame } from './testing/cut-proxy.js';
import { nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;
const NODE = 'resume-node';
const PODS = 100;

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'resume', v: '1' } },
  spec: { nodeName: NODE, containers: [{ name: 'c', image: 'hello-c.wasm', env: [{ name: 'N', value: name }] }] },
});

/** The agent side: a real HubSession whose desired set is kept as the agent keeps it. */
class Agent {
  readonly set = new Map<string, Pod>();
  readonly received: HubToNode[] = [];
  readonly session: HubSession;
  constructor(url: string, token: string) {
    this.session = new HubSession({
      hubUrl: url,
      logger: pino({ level: 'silent' }),
      nodeInfo: () => nodeInfo(NODE),
      token,
      onMessage: (m) => this.onMessage(m),
      backoff: { initialMs: 50, maxMs: 200, spreadMs: 50 },
    });
  }
  private onMessage(m: HubToNode): void {
    this.received.push(m);
    if (m.type === 'podSync') {
      this.set.clear();
      for (const p of m.pods) this.set.set(p.metadata.uid!, p);
    }
    if (m.type === 'podUpsert') this.set.set(m.pod.metadata.uid!, m.pod);
    if (m.type === 'podDelete') this.set.delete(m.pod.uid);
  }
  syncs(): number {
    return this.received.filter((m) => m.type === 'podSync').length;
  }
}

/** Frames and bytes of one connection, by direction. */
function tally(frames: WireFrame[]): { hubFrames: number; hubBytes: number; nodeFrames: number; nodeBytes: number } {
  const hub = frames.filter((f) => f.from === 'hub');
  const node = frames.filter((f) => f.from === 'node');
  const sum = (fs: WireFrame[]): number => fs.reduce((n, f) => n + f.bytes, 0);
  return { hubFrames: hub.length, hubBytes: sum(hub), nodeFrames: node.length, nodeBytes: sum(node) };
}

describe('pod-set resume after an outage', () => {
  let t: TestHub;
  let proxy: CutProxy;
  beforeAll(async () => {
    t = await startGatewayHub();
    proxy = await CutProxy.start(Number(new URL(t.url).port));
  });
  afterAll(async () => {
    await proxy.stop();
    await t.stop();
  });

  it('sends only the pods added, changed and deleted while the node was away, and the node ends with the hub’s set', async () => {
    for (let i = 0; i < PODS; i++) await t.hub.api.create(POD, pod(`p-${i}`));
    const agent = new Agent(proxy.url, t.token);
    agent.session.start();
    try {
      await until(() => agent.set.size === PODS && agent.session.connected, 'the first pod set');

      // The outage: the link is cut, and meanwhile every pod's status is written (revisions move),
      // one pod is added, one changed (a label) and one deleted.
      proxy.cut();
      await until(() => !agent.session.connected, 'the node to notice the cut');
      for (let i = 0; i < PODS; i++) {
        const p = await t.hub.api.get<Pod>(POD, 'default', `p-${i}`);
        await t.hub.api.updateStatus(POD, { ...p, status: { phase: 'Running', message: `outage ${i}` } });
      }
      await t.hub.api.create(POD, pod('p-added'));
      const changed = await t.hub.api.get<Pod>(POD, 'default', 'p-1');
      await t.hub.api.update(POD, { ...changed, metadata: { ...changed.metadata, labels: { app: 'resume', v: '2' } } });
      await t.hub.api.delete(POD, 'default', 'p-2', { gracePeriodSeconds: 0 });
      const desired = (await t.hub.api.list<Pod>(POD, { namespace: 'default' })).items.filter(
        (p) => p.spec.nodeName === NODE,
      );
      expect(desired.length).toBe(PODS);

      const before = agent.syncs();
      proxy.restore();
      await until(() => agent.syncs() > before && agent.session.connected, 'the resumed pod set');
      await until(() => agent.received.at(-1)?.type === 'serviceSync', 'the Service set after it');
      const resumed = tally(proxy.connections.at(-1)!);
      const types = proxy.connections
        .at(-1)!
        .filter((f) => f.from === 'hub')
        .map((f) => f.type);
      expect(types).toContain('podResume');
      expect(types).not.toContain('podSync');
      const resume = proxy.connections.at(-1)!.find((f) => f.type === 'podResume')!;

      // Exactly the hub's desired set, with the change.
      expect([...agent.set.keys()].sort()).toEqual(desired.map((p) => p.metadata.uid!).sort());
      expect([...agent.set.values()].find((p) => p.metadata.name === 'p-1')!.metadata.labels!.v).toBe('2');
      expect([...agent.set.values()].some((p) => p.metadata.name === 'p-2')).toBe(false);
      expect([...agent.set.values()].some((p) => p.metadata.name === 'p-added')).toBe(true);

      // For comparison, the whole set a node without a position gets (a fresh agent process).
      await agent.session.stop();
      const fresh = new Agent(proxy.url, t.token);
      fresh.session.start();
      await until(() => fresh.set.size === PODS && fresh.received.at(-1)?.type === 'serviceSync', 'the whole set');
      const whole = tally(proxy.connections.at(-1)!);
      const sync = proxy.connections.at(-1)!.find((f) => f.type === 'podSync')!;
      await fresh.session.stop();
      expect(resume.bytes).toBeLessThan(sync.bytes);

      console.log(
        [
          `pod set at reconnect, ${PODS} pods (1 added, 1 changed, 1 deleted, ${PODS} status writes during the outage):`,
          `  whole set (no position): hub→node ${whole.hubFrames} frames ${whole.hubBytes} B (podSync ${sync.bytes} B); node→hub ${whole.nodeFrames} frames ${whole.nodeBytes} B`,
          `  resumed (position):      hub→node ${resumed.hubFrames} frames ${resumed.hubBytes} B (podResume ${resume.bytes} B); node→hub ${resumed.nodeFrames} frames ${resumed.nodeBytes} B`,
        ].join('\n'),
      );
    } finally {
      await agent.session.stop();
    }
  });
});

/**
 * A node that was only slow — its heartbeats late past the grace period while its session stayed
 * open — is marked Unknown and its pods not Ready; when its heartbeats resume it is Ready again, and
 * the hub sends it its whole pod set again, on which an agent reports every pod's status, so the pods
 * return to their Services' endpoints. Real hub (1 s grace), raw node over a real WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPodReady, nodeReadyStatus, typeByKind } from '../../api/index.js';
import type { Node, Pod, PodRef } from '../../api/index.js';
import { RawNode, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;
const NODE = typeByKind('v1', 'Node')!;
const READY = {
  phase: 'Running' as const,
  conditions: [
    { type: 'Ready', status: 'True' as const },
    { type: 'ContainersReady', status: 'True' as const },
  ],
};

describe('a node Ready again on its open session', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startGatewayHub({}, { hub: { nodeGracePeriodSeconds: 1 } });
  });
  afterAll(() => t?.stop());

  const nodeStatus = async (name: string): Promise<string> =>
    nodeReadyStatus(await t.hub.api.get<Node>(NODE, undefined, name));
  const podReady = async (name: string): Promise<boolean> => isPodReady(await t.hub.api.get<Pod>(POD, 'default', name));
  /** A pod on `node`, reported Ready by it; its reference for later reports. */
  const readyPodOn = async (node: RawNode, nodeName: string, name: string): Promise<PodRef> => {
    const created = await t.hub.api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
    });
    const ref = { namespace: 'default', name, uid: created.metadata.uid! };
    await until(() => node.of('podUpsert').length > 0, 'the pod on its node');
    node.send({ type: 'podStatus', pods: [{ pod: ref, status: READY }] });
    await until(() => podReady(name), 'the pod Ready');
    return ref;
  };

  it('gets its whole pod set again, and its report brings its pods back to Ready', async () => {
    const node = await RawNode.connect(t.url, t.token, 'slow-node');
    const ref = await readyPodOn(node, 'slow-node', 'slow-pod');

    // Silent past the grace period (its socket still answers pings): Unknown, and its pod not Ready.
    await until(async () => (await nodeStatus('slow-node')) === 'Unknown', 'the node Unknown', 10_000);
    await until(async () => !(await podReady('slow-pod')), 'the pod marked not Ready', 10_000);
    const pod = await t.hub.api.get<Pod>(POD, 'default', 'slow-pod');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'NodeNotReady' });
    const setsBefore = node.of('podSync').length;
    expect(setsBefore).toBe(1); // the welcome's

    // Its heartbeats resume on the same session: Ready again, and the whole set comes again.
    const beat = (): void => node.send({ type: 'heartbeat', time: new Date().toISOString() });
    beat();
    const beating = setInterval(beat, 250); // on time from now on (the grace is 1 s)
    try {
      await until(async () => (await nodeStatus('slow-node')) === 'True', 'the node Ready again', 10_000);
      await until(() => node.of('podSync').length > setsBefore, 'the pod set sent again', 10_000);
      const again = node.of('podSync').at(-1)!;
      expect(again.pods.map((p) => p.metadata.uid)).toEqual([ref.uid]);
      // What an agent does on a whole set: report every pod's status, changed or not.
      node.send({ type: 'podStatus', pods: [{ pod: ref, status: READY }] });
      await until(() => podReady('slow-pod'), 'the pod Ready again');
      expect(node.of('podSync')).toHaveLength(2);
    } finally {
      clearInterval(beating);
      await node.close();
    }
  }, 30_000);

  it('gets its whole pod set again when its pod is marked not Ready after the node was Ready again', async () => {
    const node = await RawNode.connect(t.url, t.token, 'late-marked');
    const beating = setInterval(() => node.send({ type: 'heartbeat', time: new Date().toISOString() }), 250);
    try {
      const ref = await readyPodOn(node, 'late-marked', 'late-pod');
      await until(async () => (await nodeStatus('late-marked')) === 'True', 'the node Ready');
      const setsBefore = node.of('podSync').length;

      // The lifecycle controller's mark, landing after the node was Ready again (a hub under load marks
      // a node's pods one write at a time, and the node's report came back before this one).
      const pod = await t.hub.api.get<Pod>(POD, 'default', 'late-pod');
      const conditions = (pod.status?.conditions ?? []).map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady'
          ? { ...c, status: 'False' as const, reason: 'NodeNotReady', message: 'node late-marked is not ready' }
          : c,
      );
      await t.hub.api.updateStatus<Pod>(POD, { ...pod, status: { ...pod.status, conditions } });

      await until(() => node.of('podSync').length > setsBefore, 'the pod set sent again');
      expect(
        node
          .of('podSync')
          .at(-1)!
          .pods.map((p) => p.metadata.uid),
      ).toEqual([ref.uid]);
      node.send({ type: 'podStatus', pods: [{ pod: ref, status: READY }] });
      await until(() => podReady('late-pod'), 'the pod Ready again');
      expect(node.of('podSync')).toHaveLength(setsBefore + 1);
    } finally {
      clearInterval(beating);
      await node.close();
    }
  }, 30_000);
});

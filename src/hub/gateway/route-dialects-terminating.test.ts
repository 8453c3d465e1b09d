/**
 * Terminating endpoints on the Service stream (protocol 10), over a real store and informers: a pod
 * of a Service being deleted while still Ready reaches protocol-10 sessions as a serving terminating
 * endpoint (v1 Endpoints have already dropped it), then as not serving once its readiness goes.
 * Sessions of protocol 6 and 9 read every frame with their agent's strict schema and never see one:
 * the change that carries it is not patched to them from the history (encoded once, in the newest
 * dialect), they get the whole route without it instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubToNode, MAX_HUB_FRAME_VALUES, decodeFrame, typeByKind } from '../../api/index.js';
import type { Endpoints, Node, Pod, Service } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { NodeInterest } from './node-interest.js';
import { ServiceStream } from './service-stream.js';
import { TerminatingPods } from './terminating-endpoints.js';
import { AgentSession } from './testing/agent-session.js';
import { until } from './testing/raw-node.js';

const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NODE = typeByKind('v1', 'Node')!;
const POD = typeByKind('v1', 'Pod')!;

const ready = (status: 'True' | 'False') => ({
  phase: 'Running' as const,
  conditions: [{ type: 'Ready', status }],
});

describe('terminating endpoints reach protocol-10 nodes only', () => {
  let t: TestApi;
  let informers: InformerFactory;
  let pods: Informer<Pod>;
  let stream: ServiceStream;
  const sessions = [6, 9, 10, 10].map((p, i) => new AgentSession(`n${i}-p${p}`, p));
  const [p6, p9, p10a, p10b] = sessions as [AgentSession, AgentSession, AgentSession, AgentSession];
  const endpointsOf = (s: AgentSession) => s.routes.get('one')?.endpoints ?? [];

  beforeAll(async () => {
    t = await createTestApi();
    const host = await t.api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'host' },
      spec: {},
    });
    await t.api.updateStatus(NODE, {
      ...host,
      status: {
        addresses: [{ type: 'InternalIP', address: '10.0.0.7' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 7500 } },
      },
    });
    await t.api.create<Service>(SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'one', namespace: 'default' },
      spec: { type: 'NodePort', selector: { app: 'one' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const pod = await t.api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'one-0', namespace: 'default', labels: { app: 'one' } },
      spec: { nodeName: 'host', containers: [{ name: 'c', image: 'x.wasm' }] },
    });
    await t.api.updateStatus<Pod>(POD, { ...pod, status: ready('True') });
    // What the Endpoints controller writes for it.
    await t.api.create<Endpoints>(EP, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'one', namespace: 'default' },
      subsets: [
        {
          addresses: [
            {
              ip: '10.0.0.7',
              nodeName: 'host',
              targetRef: { kind: 'Pod', namespace: 'default', name: 'one-0', uid: pod.metadata.uid },
            },
          ],
          ports: [{ port: 8080 }],
        },
      ],
    });
    informers = new InformerFactory(t.api, silentLogger());
    const services = informers.for<Service>('v1', 'Service');
    const eps = informers.for<Endpoints>('v1', 'Endpoints');
    pods = informers.for<Pod>('v1', 'Pod');
    const terminating = new TerminatingPods(pods, services);
    stream = new ServiceStream({
      services,
      endpoints: eps,
      nodes: informers.for<Node>('v1', 'Node'),
      terminating,
      interest: new NodeInterest(),
      sessionOf: (n) => sessions.find((s) => s.nodeName === n),
      sessions: () => sessions,
      logger: silentLogger(),
      coalesceMs: 5,
    });
    // As the gateway feeds it (gateway-informers.ts).
    const changed = (o: { metadata: { namespace?: string; name?: string } }): void =>
      stream.serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    for (const inf of [services, eps] as const)
      inf.addHandler({ onAdd: changed, onUpdate: (_o, n) => changed(n), onDelete: changed });
    const podChanged = (o: Pod | undefined, p: Pod | undefined): void => {
      for (const [ns, name] of terminating.servicesOf(o, p)) stream.serviceChanged(ns, name);
    };
    pods.addHandler({ onUpdate: podChanged, onDelete: (p) => podChanged(p, undefined) });
    await informers.start();
    stream.flush();
    for (const s of sessions) stream.welcome(s);
  });
  afterAll(async () => {
    stream.stop();
    informers.stop();
    await t.close();
  });

  it('lists a Ready pod being deleted as serving and terminating for protocol 10, and leaves it out for 6 and 9', async () => {
    for (const s of sessions)
      expect(
        endpointsOf(s).map((e) => e.ready),
        s.nodeName,
      ).toEqual([true]);
    const before = sessions.map((s) => s.frames.length);
    // The pod is deleted with a grace period (it is bound: it gets a deletionTimestamp and stays),
    // and the Endpoints controller drops it at once.
    await t.api.delete(POD, 'default', 'one-0', { gracePeriodSeconds: 30 });
    const ep = await t.api.get<Endpoints>(EP, 'default', 'one');
    await t.api.update<Endpoints>(EP, { ...ep, subsets: [] });
    await until(() => endpointsOf(p10a).some((e) => e.terminating) && endpointsOf(p9).length === 0, 'the change');
    await until(() => endpointsOf(p10b).some((e) => e.terminating) && endpointsOf(p6).length === 0, 'the change');
    expect(endpointsOf(p10a)).toHaveLength(1);
    expect(endpointsOf(p10a)[0]).toMatchObject({
      pod: { name: 'one-0' },
      ready: false,
      serving: true,
      terminating: true,
    });
    for (const s of sessions) expect(s.refused, s.nodeName).toEqual([]);
    // Protocol 10 sessions share one encoding; the older ones got the whole route, not a patch.
    const sent = sessions.map((s, i) => s.frames.slice(before[i]));
    expect(sent[2]).toEqual(sent[3]);
    for (const frames of [sent[0]!, sent[1]!]) {
      const deltas = frames.map((f) => decodeFrame(HubToNode, f, { maxValues: MAX_HUB_FRAME_VALUES }));
      expect(deltas.some((d) => d.type === 'serviceDelta' && d.route !== undefined)).toBe(true);
      expect(deltas.some((d) => d.type === 'serviceDelta' && d.endpoints?.upsert.length)).toBe(false);
    }
  });

  it('marks it not serving once its readiness goes, and drops it when the pod is gone', async () => {
    const pod = await t.api.get<Pod>(POD, 'default', 'one-0');
    await t.api.updateStatus<Pod>(POD, { ...pod, status: ready('False') });
    await until(() => endpointsOf(p10a)[0]?.serving === false, 'serving: false on protocol 10');
    expect(endpointsOf(p10a)[0]).toMatchObject({ ready: false, serving: false, terminating: true });
    await t.api.delete(POD, 'default', 'one-0', { gracePeriodSeconds: 0 });
    await until(() => endpointsOf(p10a).length === 0 && endpointsOf(p10b).length === 0, 'the endpoint gone');
    for (const s of sessions) expect(s.refused, s.nodeName).toEqual([]);
    expect(endpointsOf(p9)).toEqual([]);
  });
});

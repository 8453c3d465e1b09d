import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { Endpoints, Pod, Service } from '../../api/index.js';
import { HubSession } from '../../edge-node/index.js';
import { RawNode, nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';
import { viewOf } from './testing/service-view.js';

const POD = typeByKind('v1', 'Pod')!;
const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NS = typeByKind('v1', 'Namespace')!;

function pod(name: string, namespace: string, nodeName: string, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
  };
}

/** A selector-less Service (its Endpoints are written by hand here, so readiness is the test's to flip). */
function service(name: string, namespace: string, nodePort?: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      ...(nodePort !== undefined ? { type: 'NodePort' as const } : {}),
      ports: [{ port: 80, targetPort: 8080, ...(nodePort !== undefined ? { nodePort } : {}) }],
    },
  };
}

/** Endpoints of `count` pods on node `host`; the pods whose index is in `notReady` are not ready. */
function endpoints(name: string, namespace: string, host: string, count: number, notReady: number[] = []): Endpoints {
  const addr = (i: number): NonNullable<NonNullable<Endpoints['subsets']>[number]['addresses']>[number] => ({
    ip: '10.0.0.7',
    nodeName: host,
    targetRef: { kind: 'Pod', namespace, name: `${name}-${i}`, uid: `uid-${name}-${i}` },
  });
  const all = Array.from({ length: count }, (_, i) => i);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace },
    subsets: [
      {
        addresses: all.filter((i) => !notReady.includes(i)).map(addr),
        ...(notReady.length ? { notReadyAddresses: notReady.map(addr) } : {}),
        ports: [{ port: 8080 }],
      },
    ],
  };
}

describe('Service stream: per-node sets, endpoint deltas, resync and resume', () => {
  let t: TestHub;
  let host: RawNode;
  beforeAll(async () => {
    t = await startGatewayHub({ serviceCoalesceMs: 10 });
    for (const ns of ['shop', 'other'])
      await t.hub.api.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // The node hosting the endpoints (its Node gives them their mesh port).
    host = await RawNode.connect(t.url, t.token, 'host');
    await t.hub.api.create(POD, pod('web-0', 'shop', 'host'));
    await t.hub.api.create(SVC, service('web', 'shop'));
    await t.hub.api.create(EP, endpoints('web', 'shop', 'host', 1000));
    await t.hub.api.create(SVC, service('gate', 'other', 30080));
    await t.hub.api.create(SVC, service('private', 'other'));
  });
  afterAll(async () => {
    await host.close();
    await t.stop();
  });

  it('sends each node the Services it needs, then a readiness flip as a patch of a few hundred bytes to those nodes only', async () => {
    await t.hub.api.create(POD, pod('client-0', 'shop', 'caller'));
    await t.hub.api.create(POD, pod('idle-0', 'other', 'bystander'));
    const caller = await RawNode.connect(t.url, t.token, 'caller');
    const bystander = await RawNode.connect(t.url, t.token, 'bystander');
    const names = (n: RawNode): string[] =>
      n
        .of('serviceSet')[0]!
        .services.map((e) => `${e.route.namespace}/${e.route.name}`)
        .sort();
    expect(names(caller)).toEqual(['other/gate', 'shop/web']);
    expect(names(bystander)).toEqual(['other/gate', 'other/private']);
    // 1,000 endpoints go in parts of at most 400: the set holds the first, patches bring the rest.
    const first = caller.of('serviceSet')[0]!.services.find((e) => e.route.name === 'web')!;
    expect(first.route.endpoints).toHaveLength(400);
    await until(() => viewOf(caller.frames).route('shop', 'web')?.endpoints.length === 1000, 'the whole route');
    expect(caller.of('serviceDelta')).toHaveLength(2);
    const whole = viewOf(caller.frames);
    expect(whole.misses).toEqual([]);
    const held = whole.routes.get('shop/web')!.rev;

    const seen = caller.frames.length;
    await t.hub.api.update(EP, {
      ...(await t.hub.api.get<Endpoints>(EP, 'shop', 'web')),
      ...endpoints('web', 'shop', 'host', 1000, [7]),
    });
    await until(() => caller.frames.length > seen, 'the endpoint delta');
    const delta = caller.frames[seen]!;
    expect(delta.msg).toMatchObject({
      type: 'serviceDelta',
      namespace: 'shop',
      name: 'web',
      prev: held,
      endpoints: { upsert: [{ pod: { name: 'web-7' }, ready: false }], remove: [] },
    });
    const setBytes = caller.frames.find((f) => f.msg.type === 'serviceSet')!.bytes;
    console.log(
      `[service-stream] 1,000 endpoints: set ${setBytes} B (first part); one readiness flip ${delta.bytes} B per node`,
    );
    expect(delta.bytes).toBeLessThan(400);
    expect(viewOf(caller.frames).misses).toEqual([]);
    expect(bystander.of('serviceDelta')).toHaveLength(0);
    await caller.close();
    await bystander.close();
  });

  it('resumes a reconnecting node from its revision, and answers a resync with the whole set', async () => {
    await t.hub.api.create(POD, pod('client-1', 'shop', 'resumer'));
    const first = await RawNode.connect(t.url, t.token, 'resumer');
    await until(() => viewOf(first.frames).route('shop', 'web')?.endpoints.length === 1000, 'the whole route');
    const set = viewOf(first.frames).resumePoint()!;
    await first.close();

    // Unchanged while it was away: everything is kept, nothing resent.
    const back = await RawNode.connect(t.url, t.token, 'resumer', { resume: set });
    const resumed = back.of('serviceSet')[0]!;
    expect(resumed.services).toHaveLength(0);
    expect(resumed.keep.map((k) => k.name).sort()).toEqual(['gate', 'web']);
    await back.close();

    // One Service changed while away: it is kept at the revision the node had, and the change follows.
    const seen = host.frames.length;
    await t.hub.api.update(EP, {
      ...(await t.hub.api.get<Endpoints>(EP, 'shop', 'web')),
      ...endpoints('web', 'shop', 'host', 999),
    });
    await until(() => host.frames.length > seen, 'the stream to move on');
    const later = await RawNode.connect(t.url, t.token, 'resumer', {
      resume: { epoch: set.epoch, revision: resumed.revision },
    });
    const partial = later.of('serviceSet')[0]!;
    expect(partial.services).toHaveLength(0);
    expect(partial.keep.map((k) => k.name).sort()).toEqual(['gate', 'web']);
    await until(() => later.of('serviceDelta').length > 0, 'the missed change');
    expect(later.of('serviceDelta')[0]).toMatchObject({ name: 'web', endpoints: { remove: ['uid-web-999'] } });

    // Another hub process's epoch resumes nothing.
    const stranger = await RawNode.connect(t.url, t.token, 'stranger', {
      resume: { epoch: 'another-hub', revision: 1e6 },
    });
    expect(stranger.of('serviceSet')[0]!.services.map((e) => e.route.name)).toEqual(['gate']);
    expect(stranger.of('serviceSet')[0]!.keep).toEqual([]);
    await stranger.close();

    later.send({ type: 'resync', reason: 'test: a delta was missed' });
    await until(() => later.of('serviceSet').length === 2, 'the whole set after a resync');
    expect(
      later
        .of('serviceSet')[1]!
        .services.map((e) => e.route.name)
        .sort(),
    ).toEqual(['gate', 'web']);
    const afterResync = later.frames.slice(later.frames.findLastIndex((f) => f.msg.type === 'serviceSet'));
    await until(() => viewOf(later.frames).route('shop', 'web')?.endpoints.length === 999, 'the whole route again');
    expect(viewOf(afterResync).misses).toEqual([]);
    await later.close();
  });

  it('sends a node the Services of a namespace when its first pod there arrives, and takes them away with the last', async () => {
    const mover = await RawNode.connect(t.url, t.token, 'mover');
    expect(mover.of('serviceSet')[0]!.services.map((e) => e.route.name)).toEqual(['gate']);
    const p = await t.hub.api.create<Pod>(POD, pod('visitor', 'other', 'mover'));
    await until(() => mover.of('serviceDelta').some((d) => d.name === 'private' && d.route), 'the namespace Service');
    // The Service came before the pod, so the pod's first call finds it.
    const order = mover.frames.map((f) => f.msg.type);
    expect(order.indexOf('serviceDelta')).toBeLessThan(order.indexOf('podUpsert'));
    await t.hub.api.delete(POD, 'other', p.metadata.name!, { gracePeriodSeconds: 0 });
    await until(() => mover.of('serviceDelta').some((d) => d.name === 'private' && d.removed), 'the removal');
    // A pod naming other namespaces gets their Services too.
    await t.hub.api.create(POD, pod('wide', 'other', 'mover', { 'edgeplane.io/service-namespaces': 'shop' }));
    await until(() => mover.of('serviceDelta').some((d) => d.name === 'web' && d.route), 'the named namespace');
    await mover.close();
  });

  it('sends a protocol-1 node the whole serviceSync of every Service, as before', async () => {
    const old = await RawNode.connect(t.url, t.token, 'old-node', { protocol: 1 });
    expect(old.of('welcome')[0]!.protocol).toBe(1);
    expect(
      old
        .of('serviceSync')[0]!
        .services.map((s) => s.name)
        .sort(),
    ).toEqual(['gate', 'private', 'web']);
    expect(old.of('serviceSet')).toHaveLength(0);
    await old.close();
  });
});

describe('admission when full', () => {
  let t: TestHub;
  beforeAll(async () => {
    // No admission slot at all: every hello is told to come back later (the queueing is admission-slots.test.ts's).
    t = await startGatewayHub({ admissionLimits: { maxConcurrent: 0, maxQueued: 0, minRetryMs: 1000 } });
  });
  afterAll(() => t.stop());

  it('tells a node past the bound to retry after a delay (Busy, close 1013) instead of dropping it; a protocol-1 node gets the close code alone', async () => {
    const node = await RawNode.open(t.url, t.token);
    node.send({ type: 'hello', protocol: 2, instanceId: 'crowd-instance-1', node: nodeInfo('crowd-1') });
    const closed = await node.closed;
    expect(closed.code).toBe(1013);
    const [err] = node.of('error');
    expect(err).toMatchObject({ reason: 'Busy', fatal: true });
    expect(err!.retryAfterMs).toBeGreaterThanOrEqual(500);
    expect(err!.retryAfterMs).toBeLessThanOrEqual(1500);

    const old = await RawNode.open(t.url, t.token);
    old.send({ type: 'hello', protocol: 1, instanceId: 'crowd-instance-2', node: nodeInfo('crowd-2') });
    expect((await old.closed).code).toBe(1013);
    expect(old.of('error')[0]!.reason).toBeUndefined();
    expect(old.of('error')[0]!.retryAfterMs).toBeUndefined();
  });

  it('the node session redials no sooner than the hub asked, not at its own short back-off', async () => {
    const dials: number[] = [];
    const session = new HubSession({
      hubUrl: t.url,
      token: t.token,
      logger: pino({ level: 'silent' }),
      nodeInfo: () => nodeInfo('patient'),
      onMessage: () => undefined,
      onEvent: (e) => void (e.type === 'unreachable' && dials.push(Date.now())),
      backoff: { initialMs: 10, maxMs: 20 },
    });
    session.start();
    try {
      await until(() => dials.length >= 3, 'three refused dials');
      // Told 0.5–1.5 s (then ±10%), where the back-off alone would redial after 10–20 ms.
      for (let i = 1; i < dials.length; i++) expect(dials[i]! - dials[i - 1]!).toBeGreaterThanOrEqual(400);
    } finally {
      await session.stop();
    }
  });
});

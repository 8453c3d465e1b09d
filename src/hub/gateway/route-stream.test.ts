/**
 * Compiled HTTPRoutes through the real hub's Service stream to raw nodes: a Gateway port reaches
 * every node (also one with no pod), its backends too; a GAMMA route rides on its Service's route;
 * a weight change is one whole-route delta to the nodes holding it, and nothing to the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { Endpoints, Gateway, HTTPRoute, Pod, Service } from '../../api/index.js';
import { RawNode, startGatewayHub, until, type TestHub } from './testing/raw-node.js';
import { viewOf } from './testing/service-view.js';

const POD = typeByKind('v1', 'Pod')!;
const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const GW = typeByKind('gateway.networking.k8s.io/v1', 'Gateway')!;
const ROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;

const pod = (name: string, nodeName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
});
const service = (name: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { ports: [{ port: 80, targetPort: 8080 }] },
});
const endpoints = (name: string, host: string): Endpoints => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace: 'default' },
  subsets: [
    {
      addresses: [
        {
          ip: '10.0.0.7',
          nodeName: host,
          targetRef: { kind: 'Pod', namespace: 'default', name: `${name}-0`, uid: `uid-${name}` },
        },
      ],
      ports: [{ port: 8080 }],
    },
  ],
});
const weights = (v1: number, v2: number): NonNullable<HTTPRoute['spec']['rules']>[number]['backendRefs'] => [
  { name: 'hello-v1', port: 80, weight: v1 },
  { name: 'hello-v2', port: 80, weight: v2 },
];

describe('compiled routes on the Service stream', () => {
  let t: TestHub;
  let host: RawNode;
  let caller: RawNode;
  let empty: RawNode;
  beforeAll(async () => {
    t = await startGatewayHub({ serviceCoalesceMs: 10 });
    host = await RawNode.connect(t.url, t.token, 'host');
    for (const name of ['hello', 'hello-v1', 'hello-v2']) {
      await t.hub.api.create(SVC, service(name));
      await t.hub.api.create(EP, endpoints(name, 'host'));
    }
    await t.hub.api.create(POD, pod('client-0', 'caller'));
    caller = await RawNode.connect(t.url, t.token, 'caller');
    empty = await RawNode.connect(t.url, t.token, 'empty'); // no pod: needs no ClusterIP Service of its own
    await t.hub.api.create(GW, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'web', namespace: 'default' },
      spec: { gatewayClassName: 'edgeplane', listeners: [{ name: 'http', port: 18088, protocol: 'HTTP' }] },
    } satisfies Gateway);
    await t.hub.api.create(ROUTE, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'default' },
      spec: { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: weights(90, 10) }] },
    } satisfies HTTPRoute);
    await t.hub.api.create(ROUTE, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'mesh', namespace: 'default' },
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'hello' }], rules: [{ backendRefs: weights(50, 50) }] },
    } satisfies HTTPRoute);
  });
  afterAll(async () => {
    for (const n of [host, caller, empty]) await n.close();
    await t.stop();
  });

  it('sends the Gateway port and its backends to every node, and GAMMA rules with their Service', async () => {
    const gateway = 'gateway:web:18088';
    await until(
      () => viewOf(empty.frames).route('default', gateway) !== undefined,
      'the Gateway route on the empty node',
    );
    await until(() => viewOf(caller.frames).route('default', 'hello')?.http !== undefined, 'GAMMA rules on the caller');
    const onEmpty = viewOf(empty.frames);
    expect(onEmpty.route('default', gateway)?.http?.rules[0]?.backends.map((b) => [b.name, b.weight])).toEqual([
      ['hello-v1', 90],
      ['hello-v2', 10],
    ]);
    expect(onEmpty.route('default', gateway)?.ports).toEqual([{ port: 18088, targetPort: 18088, nodePort: 18088 }]);
    // The backends, with their endpoints, reach the node without pods; the GAMMA parent does not.
    expect(onEmpty.route('default', 'hello-v1')?.endpoints).toHaveLength(1);
    expect(onEmpty.route('default', 'hello-v2')?.endpoints).toHaveLength(1);
    expect(onEmpty.route('default', 'hello')).toBeUndefined();
    expect(
      viewOf(caller.frames)
        .route('default', 'hello')
        ?.http?.rules[0]?.backends.map((b) => b.weight),
    ).toEqual([50, 50]);
    expect(viewOf(empty.frames).misses).toEqual([]);
  });

  it('sends a weight change as one delta of the changed route only', async () => {
    const gateway = 'gateway:web:18088';
    await until(() => viewOf(caller.frames).route('default', gateway) !== undefined, 'the Gateway route on the caller');
    const seen = caller.frames.length;
    const r = await t.hub.api.get<HTTPRoute>(ROUTE, 'default', 'web');
    await t.hub.api.update(ROUTE, { ...r, spec: { ...r.spec, rules: [{ backendRefs: weights(0, 100) }] } });
    await until(
      () => viewOf(caller.frames).route('default', gateway)?.http?.rules[0]?.backends[0]?.weight === 0,
      'the new weights',
    );
    const after = caller.frames.slice(seen).map((f) => f.msg);
    expect(after.filter((m) => m.type === 'serviceDelta').map((m) => (m as { name: string }).name)).toEqual([gateway]);
  });
});

/**
 * Upgrade skew: a hub sends each node only the route fields its protocol knows. Sessions of protocol
 * 1, 3, 5 and 6 read the real stream (real store, real informers) with the strict schema their agent
 * had: protocol 3 agents knew neither `scaleFromZero` nor `http`, protocol 5 ones not `http`. Every
 * frame must decode under that schema, and each dialect is encoded once, whatever the session count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubToNode, MAX_HUB_FRAME_VALUES, ServiceRoute, decodeFrame, typeByKind } from '../../api/index.js';
import type { Endpoints, Node, Pod, Service } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { NodeInterest } from './node-interest.js';
import { dialectOf, encodingOf, routeIn } from './route-dialects.js';
import type { StreamRouting } from './route-table.js';
import { ServiceStream } from './service-stream.js';
import { until } from './testing/raw-node.js';
import { AgentSession, ROUTE_OF } from './testing/agent-session.js';

const SVC = typeByKind('v1', 'Service')!;
const EP = typeByKind('v1', 'Endpoints')!;
const NODE = typeByKind('v1', 'Node')!;

/** Compiled HTTPRoute rules on Service `web` (what the route table adds for a GAMMA route). */
const routing: StreamRouting = {
  extra: () => undefined,
  everywhere: () => false,
  decorate: (route) =>
    route.name === 'web'
      ? {
          ...route,
          http: {
            rules: [
              {
                route: 'shop/web-route#0',
                match: { path: { type: 'PathPrefix', value: '/' } },
                backends: [{ namespace: 'shop', name: 'web', port: 80, weight: 1 }],
              },
            ],
          },
        }
      : route,
};

describe('route dialects: each node gets the route fields its protocol knows', () => {
  let t: TestApi;
  let informers: InformerFactory;
  let services: Informer<Service>;
  let stream: ServiceStream;
  const sessions = [1, 3, 5, 6, 6].map((p, i) => new AgentSession(`n${i}-p${p}`, p));

  beforeAll(async () => {
    t = await createTestApi();
    await t.api.ensureNamespace('shop');
    const host = await t.api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'host' },
      spec: {},
    });
    await t.api.updateStatus(NODE, { ...host, status: { daemonEndpoints: { kubeletEndpoint: { Port: 7500 } } } });
    for (const name of ['web', 'plain'])
      await t.api.create<Service>(SVC, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'shop' },
        spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    await t.api.create<Endpoints>(EP, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'shop' },
      subsets: [
        {
          addresses: [
            {
              ip: '10.0.0.7',
              nodeName: 'host',
              targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'uid-web-0' },
            },
          ],
          ports: [{ port: 8080 }],
        },
      ],
    });
    informers = new InformerFactory(t.api, silentLogger());
    services = informers.for<Service>('v1', 'Service');
    const eps = informers.for<Endpoints>('v1', 'Endpoints');
    const interest = new NodeInterest();
    for (const s of sessions) {
      const client: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `client-${s.nodeName}`, namespace: 'shop', uid: `uid-${s.nodeName}` },
        spec: { nodeName: s.nodeName, containers: [{ name: 'c', image: 'x.wasm' }] },
      };
      interest.podChanged(undefined, client);
    }
    stream = new ServiceStream({
      services,
      endpoints: eps,
      nodes: informers.for<Node>('v1', 'Node'),
      interest,
      routing,
      // `web` selects a workload an HPA may take to zero.
      wakeable: (svc) => svc.metadata.name === 'web',
      sessionOf: (n) => sessions.find((s) => s.nodeName === n),
      sessions: () => sessions,
      logger: silentLogger(),
      coalesceMs: 5,
    });
    const changed = (o: { metadata: { namespace?: string; name?: string } }): void =>
      stream.serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    for (const inf of [services, eps] as const)
      inf.addHandler({ onAdd: changed, onUpdate: (_o, n) => changed(n), onDelete: changed });
    await informers.start();
    stream.flush();
    for (const s of sessions) stream.welcome(s);
  });
  afterAll(async () => {
    stream.stop();
    informers.stop();
    await t.close();
  });

  it('sends protocol 1 and 3 nodes neither field, protocol 5 nodes scaleFromZero only, protocol 6 nodes both', () => {
    const [p1, p3, p5, p6] = sessions;
    for (const s of sessions) {
      expect(s.refused, s.nodeName).toEqual([]);
      expect(s.routes.get('web')?.endpoints, s.nodeName).toHaveLength(1);
      expect(s.routes.get('plain'), s.nodeName).toBeDefined();
    }
    for (const s of [p1!, p3!]) {
      expect(s.routes.get('web')?.scaleFromZero).toBeUndefined();
      expect(s.routes.get('web')?.http).toBeUndefined();
    }
    expect(p5!.routes.get('web')?.scaleFromZero).toBe(true);
    expect(p5!.routes.get('web')?.http).toBeUndefined();
    expect(p6!.routes.get('web')?.scaleFromZero).toBe(true);
    expect(p6!.routes.get('web')?.http?.rules).toHaveLength(1);
    // The older agents' schemas do refuse the newest route: the stripping is what lets them read it.
    const newest = ServiceRoute.parse({ ...p6!.routes.get('web')! });
    expect(ROUTE_OF[3]!.safeParse(newest).success).toBe(false);
    expect(ROUTE_OF[5]!.safeParse(newest).success).toBe(false);
  });

  it('keeps every later change readable, and encodes each dialect once for all its sessions', async () => {
    const before = sessions.map((s) => s.frames.length);
    const ep = await t.api.get<Endpoints>(EP, 'shop', 'web');
    const web = await t.api.get<Service>(SVC, 'shop', 'web');
    // A port change makes a whole-route delta; the endpoints stay.
    await t.api.update<Service>(SVC, { ...web, spec: { ...web.spec, ports: [{ port: 81, targetPort: 8080 }] } });
    await until(() => sessions.every((s) => s.routes.get('web')?.ports[0]?.port === 81), 'the new port on every node');
    expect(ep.subsets).toHaveLength(1);
    const sent = sessions.map((s, i) => s.frames.slice(before[i]));
    for (const s of sessions) expect(s.refused, s.nodeName).toEqual([]);
    // The two protocol-6 sessions were sent the very same buffer; the older dialects their own.
    const [f1, f3, f5, f6a, f6b] = sent.map((f) => f[0]);
    expect(f6a).toBe(f6b);
    expect(f5).not.toBe(f6a);
    expect(f3).not.toBe(f5);
    // Protocol 1 gets the whole serviceSync, also without the fields.
    expect(decodeFrame(HubToNode, f1!, { maxValues: MAX_HUB_FRAME_VALUES }).type).toBe('serviceSync');
    expect(sessions[1]!.routes.get('web')?.scaleFromZero).toBeUndefined();
  });

  it('shares one encoding among all dialects for a route that uses neither field', () => {
    expect(services.get('shop', 'plain')).toBeDefined();
    const route: ServiceRoute = {
      namespace: 'shop',
      name: 'plain',
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [],
      endpoints: [],
    };
    for (const p of [1, 2, 3, 4, 5, 6, 9, 10]) {
      expect(encodingOf(route, dialectOf(p))).toBe(10);
      expect(routeIn(route, dialectOf(p))).toBe(route);
    }
    const woken = { ...route, scaleFromZero: true as const };
    expect(encodingOf(woken, dialectOf(3))).toBe(1);
    expect(encodingOf(woken, dialectOf(4))).toBe(10);
    expect(routeIn(woken, dialectOf(2))).toEqual(route);
  });
});

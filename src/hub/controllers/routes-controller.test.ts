/**
 * Gateway API routes: the compile (precedence, weights, hostnames, GAMMA) as a pure function, and the
 * route controller writing Kubernetes' status over a real registry and SQLite store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway, HTTPRoute, Service } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import type { ObjectRegistry } from '../registry/index.js';
import { startRouteRig, type RouteRig } from '../testing/index.js';
import { compileRoutes, gatewayRouteName } from './index.js';

const GW = typeByKind('gateway.networking.k8s.io/v1', 'Gateway')!;
const ROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;
const SVC = typeByKind('v1', 'Service')!;

const svc = (name: string, port = 80): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports: [{ port }] },
});
const gateway = (name: string, listeners: Gateway['spec']['listeners'], className = 'edgeplane'): Gateway => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'default' },
  spec: { gatewayClassName: className, listeners },
});
const route = (name: string, spec: HTTPRoute['spec'], created = '2026-01-01T00:00:00Z'): HTTPRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default', creationTimestamp: created },
  spec,
});
const services =
  (...list: Service[]) =>
  (ns: string, name: string) =>
    list.find((s) => s.metadata.name === name && ns === 'default');

describe('compileRoutes', () => {
  it('serves each listener port as a NodePort-like route whose rules follow Gateway API precedence', () => {
    const out = compileRoutes({
      gateways: [gateway('web', [{ name: 'http', port: 8080, protocol: 'HTTP' }])],
      routes: [
        route(
          'older-prefix',
          {
            parentRefs: [{ name: 'web' }],
            rules: [
              { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'a', port: 80 }] },
            ],
          },
          '2026-01-01T00:00:00Z',
        ),
        route(
          'newer',
          {
            parentRefs: [{ name: 'web' }],
            rules: [
              { matches: [{ path: { type: 'PathPrefix', value: '/api/v2' } }], backendRefs: [{ name: 'b', port: 80 }] },
              { matches: [{ path: { type: 'Exact', value: '/api' } }], backendRefs: [{ name: 'b', port: 80 }] },
              {
                matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-Canary', value: '1' }] }],
                backendRefs: [{ name: 'b' }],
              },
              {
                matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'POST' }],
                backendRefs: [{ name: 'b' }],
              },
            ],
          },
          '2026-02-01T00:00:00Z',
        ),
        route(
          'same-as-older-but-newer',
          {
            parentRefs: [{ name: 'web' }],
            rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'b' }] }],
          },
          '2026-03-01T00:00:00Z',
        ),
      ],
      service: services(svc('a'), svc('b')),
    });
    const r = out.gatewayRoutes.get(`default/${gatewayRouteName('web', 8080)}`)!;
    expect(r.ports).toEqual([{ port: 8080, targetPort: 8080, nodePort: 8080 }]);
    expect(r.http?.gateway).toBe(true);
    expect(r.http?.rules.map((x) => x.route)).toEqual([
      'default/newer#1', // Exact
      'default/newer#0', // longest prefix
      'default/newer#3', // method
      'default/newer#2', // header
      'default/older-prefix#0', // then the older route
      'default/same-as-older-but-newer#0',
    ]);
    expect(r.http?.rules[3]?.match.headers).toEqual([{ name: 'x-canary', value: '1' }]);
    expect(out.everywhere).toEqual(new Set(['default/a', 'default/b']));
    expect(out.gateways.get('default/web')?.listeners).toEqual([{ name: 'http', attachedRoutes: 3 }]);
  });

  it('carries weights, timeouts and filters, and marks unresolved backends', () => {
    const out = compileRoutes({
      gateways: [gateway('web', [{ name: 'http', port: 8080, protocol: 'HTTP' }])],
      routes: [
        route('split', {
          parentRefs: [{ name: 'web', sectionName: 'http' }],
          rules: [
            {
              backendRefs: [
                { name: 'v1', port: 80, weight: 90 },
                { name: 'v2', port: 80, weight: 10 },
                { name: 'gone', port: 80 },
              ],
              timeouts: { request: '1m30s' },
              filters: [
                { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: 'b' }] } },
              ],
            },
          ],
        }),
      ],
      service: services(svc('v1'), svc('v2')),
    });
    const rule = out.gatewayRoutes.get(`default/${gatewayRouteName('web', 8080)}`)!.http!.rules[0]!;
    expect(rule.match.path).toEqual({ type: 'PathPrefix', value: '/' });
    expect(rule.backends).toEqual([
      { namespace: 'default', name: 'v1', port: 80, weight: 90 },
      { namespace: 'default', name: 'v2', port: 80, weight: 10 },
      { namespace: 'default', name: 'gone', port: 80, weight: 1, invalid: true },
    ]);
    expect(rule.timeoutMs).toBe(90_000);
    expect(rule.filters?.[0]?.type).toBe('RequestHeaderModifier');
    const [parent] = out.routeParents.get('default/split')!;
    expect(parent?.conditions).toEqual([
      expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Accepted' }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound' }),
    ]);
  });

  it('attaches a route to a Service parent (GAMMA) and keeps hostnames of listener and route that meet', () => {
    const out = compileRoutes({
      gateways: [gateway('web', [{ name: 'shop', port: 8080, protocol: 'HTTP', hostname: '*.shop.local' }])],
      routes: [
        route('mesh', {
          parentRefs: [{ kind: 'Service', group: '', name: 'hello' }],
          rules: [{ backendRefs: [{ name: 'hello-v2', port: 80 }] }],
        }),
        route('hosts', {
          parentRefs: [{ name: 'web' }],
          hostnames: ['a.shop.local', 'other.local'],
          rules: [{ backendRefs: [{ name: 'hello', port: 80 }] }],
        }),
        route('nohost', { parentRefs: [{ name: 'web' }], hostnames: ['other.local'], rules: [] }),
      ],
      service: services(svc('hello'), svc('hello-v2')),
    });
    expect(out.gamma.get('default/hello')?.rules[0]?.backends[0]?.name).toBe('hello-v2');
    expect(out.gamma.get('default/hello')?.gateway).toBeUndefined();
    const rules = out.gatewayRoutes.get(`default/${gatewayRouteName('web', 8080)}`)!.http!.rules;
    expect(rules.map((r) => [r.route, r.hostnames])).toEqual([['default/hosts#0', ['a.shop.local']]]);
    expect(out.routeParents.get('default/nohost')?.[0]?.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
    });
  });

  it('says NoMatchingParent for a missing Gateway and leaves other classes alone', () => {
    const out = compileRoutes({
      gateways: [gateway('theirs', [{ name: 'http', port: 80, protocol: 'HTTP' }], 'istio')],
      routes: [route('r', { parentRefs: [{ name: 'missing' }, { name: 'theirs' }], rules: [] })],
      service: services(),
    });
    const parents = out.routeParents.get('default/r')!;
    expect(parents).toHaveLength(1);
    expect(parents[0]?.conditions[0]).toMatchObject({ type: 'Accepted', status: 'False', reason: 'NoMatchingParent' });
    expect(out.gatewayRoutes.size).toBe(0);
  });
});

describe('RouteController', () => {
  let rig: RouteRig;
  let api: ObjectRegistry;
  let until: RouteRig['until'];

  beforeEach(async () => {
    rig = await startRouteRig({ classes: false, untilMs: 5000 });
    ({ api, until } = rig);
  });

  afterEach(() => rig.close());

  it('writes Accepted/ResolvedRefs on routes and Programmed on Gateways, following changes', async () => {
    await api.create(GW, gateway('web', [{ name: 'http', port: 8080, protocol: 'HTTP' }]));
    await api.create(
      ROUTE,
      route('r', { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'hello', port: 80 }] }] }),
    );
    const first = await until('route status', async () => {
      const r = await api.get<HTTPRoute>(ROUTE, 'default', 'r');
      return r.status?.parents.length ? r : undefined;
    });
    expect(first.status?.parents[0]).toMatchObject({
      parentRef: { name: 'web' },
      controllerName: 'edgeplane.io/gateway-controller',
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 },
        { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound' },
      ],
    });
    // The backend appears: ResolvedRefs turns True, the Accepted transition time stays.
    await api.create(SVC, svc('hello'));
    const resolved = await until('ResolvedRefs True', async () => {
      const r = await api.get<HTTPRoute>(ROUTE, 'default', 'r');
      return r.status?.parents[0]?.conditions[1]?.status === 'True' ? r : undefined;
    });
    expect(resolved.status?.parents[0]?.conditions[1]?.reason).toBe('ResolvedRefs');
    expect(resolved.status?.parents[0]?.conditions[0]?.lastTransitionTime).toBe(
      first.status?.parents[0]?.conditions[0]?.lastTransitionTime,
    );
    const gw = await until('gateway status', async () => {
      const g = await api.get<Gateway>(GW, 'default', 'web');
      return g.status?.listeners?.[0]?.attachedRoutes === 1 ? g : undefined;
    });
    expect(gw.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Accepted', 'True'],
      ['Programmed', 'True'],
    ]);
  });
});

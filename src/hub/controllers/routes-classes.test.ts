/**
 * The Gateway API pieces beside routes: GatewayClass (whose Gateways are served, the class's own
 * `Accepted`), ReferenceGrant (cross-namespace backendRefs), `timeouts.backendRequest` and the
 * listeners' `Conflicted`/`PortUnavailable` — the pure compile, then the route controller and the
 * registry's rules over a real registry and SQLite store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant, Service } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import type { ObjectRegistry } from '../registry/index.js';
import { startRouteRig, type RouteRig } from '../testing/index.js';
import { compileRoutes, gatewayRouteName } from './index.js';

const G = 'gateway.networking.k8s.io';
const GW = typeByKind(`${G}/v1`, 'Gateway')!;
const GC = typeByKind(`${G}/v1`, 'GatewayClass')!;
const ROUTE = typeByKind(`${G}/v1`, 'HTTPRoute')!;
const GRANT = typeByKind(`${G}/v1beta1`, 'ReferenceGrant')!;
const SVC = typeByKind('v1', 'Service')!;
const NS = typeByKind('v1', 'Namespace')!;

const svc = (name: string, namespace = 'default'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { selector: { app: name }, ports: [{ port: 80 }] },
});
const gateway = (
  name: string,
  listeners: Gateway['spec']['listeners'],
  className = 'edgeplane',
  created = '2026-01-01T00:00:00Z',
): Gateway => ({
  apiVersion: `${G}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: 'default', creationTimestamp: created },
  spec: { gatewayClassName: className, listeners },
});
const gclass = (name: string, controllerName: string, extra: Partial<GatewayClass['spec']> = {}): GatewayClass => ({
  apiVersion: `${G}/v1`,
  kind: 'GatewayClass',
  metadata: { name },
  spec: { controllerName, ...extra },
});
const route = (name: string, spec: HTTPRoute['spec']): HTTPRoute => ({
  apiVersion: `${G}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec,
});
const grant = (namespace: string, fromNs: string, name?: string): ReferenceGrant => ({
  apiVersion: `${G}/v1beta1`,
  kind: 'ReferenceGrant',
  metadata: { name: `from-${fromNs}`, namespace },
  spec: {
    from: [{ group: G, kind: 'HTTPRoute', namespace: fromNs }],
    to: [{ group: '', kind: 'Service', ...(name ? { name } : {}) }],
  },
});
const services =
  (...list: Service[]) =>
  (ns: string, name: string) =>
    list.find((s) => s.metadata.name === name && s.metadata.namespace === ns);
const http = (name: string, port: number, hostname?: string): Gateway['spec']['listeners'][number] => ({
  name,
  port,
  protocol: 'HTTP',
  ...(hostname ? { hostname } : {}),
});

describe('compileRoutes: classes, grants, timeouts, conflicts', () => {
  it('serves Gateways of classes naming our controller, and of the built-in class only while no object takes its name', () => {
    const gateways = [
      gateway('builtin', [http('a', 8001)]),
      gateway('mine', [http('a', 8002)], 'fast'),
      gateway('theirs', [http('a', 8003)], 'istio'),
      gateway('nowhere', [http('a', 8004)], 'missing'),
    ];
    const classes = [gclass('fast', 'edgeplane.io/gateway-controller'), gclass('istio', 'istio.io/gateway-controller')];
    const out = compileRoutes({ gateways, routes: [], service: services(), classes });
    expect([...out.gateways.keys()].sort()).toEqual(['default/builtin', 'default/mine']);
    expect([...out.gatewayRoutes.keys()].sort()).toEqual([
      `default/${gatewayRouteName('builtin', 8001)}`,
      `default/${gatewayRouteName('mine', 8002)}`,
    ]);
    // A GatewayClass `edgeplane` of another controller takes the built-in name away; one with parameters is refused.
    const taken = compileRoutes({
      gateways,
      routes: [],
      service: services(),
      classes: [
        gclass('edgeplane', 'other.io/x'),
        gclass('fast', 'edgeplane.io/gateway-controller', {
          parametersRef: { group: 'v1', kind: 'ConfigMap', name: 'p' },
        }),
      ],
    });
    expect(taken.gateways.size).toBe(0);
  });

  it('resolves a cross-namespace backendRef only through a ReferenceGrant in the backend namespace', () => {
    const routes = [
      route('r', {
        parentRefs: [{ name: 'web' }],
        rules: [{ backendRefs: [{ name: 'api', namespace: 'shop', port: 80 }] }],
      }),
    ];
    const input = { gateways: [gateway('web', [http('h', 8080)])], routes, service: services(svc('api', 'shop')) };
    const denied = compileRoutes(input);
    expect(denied.routeParents.get('default/r')?.[0]?.conditions[1]).toMatchObject({
      type: 'ResolvedRefs',
      status: 'False',
      reason: 'RefNotPermitted',
    });
    const rule = (o: typeof denied) => o.gatewayRoutes.get(`default/${gatewayRouteName('web', 8080)}`)!.http!.rules[0]!;
    expect(rule(denied).backends[0]?.invalid).toBe(true);
    // Grants that do not fit: in the route's namespace, from another namespace, for another Service.
    const misfits = [grant('default', 'default'), grant('shop', 'other'), grant('shop', 'default', 'db')];
    expect(compileRoutes({ ...input, grants: misfits }).routeParents.get('default/r')?.[0]?.conditions[1]?.reason).toBe(
      'RefNotPermitted',
    );
    for (const g of [grant('shop', 'default'), grant('shop', 'default', 'api')]) {
      const ok = compileRoutes({ ...input, grants: [g] });
      expect(ok.routeParents.get('default/r')?.[0]?.conditions[1]).toMatchObject({
        status: 'True',
        reason: 'ResolvedRefs',
      });
      expect(rule(ok).backends).toEqual([{ namespace: 'shop', name: 'api', port: 80, weight: 1 }]);
      expect(ok.everywhere.has('shop/api')).toBe(true);
    }
  });

  it('bounds a rule by the tighter of timeouts.request and timeouts.backendRequest ("0s" is none)', () => {
    const timeouts = [
      [{ backendRequest: '2s' }, 2000],
      [{ request: '10s', backendRequest: '500ms' }, 500],
      [{ request: '1s', backendRequest: '0s' }, 1000],
      [{ request: '0s', backendRequest: '0s' }, undefined],
    ] as const;
    for (const [t, ms] of timeouts) {
      const out = compileRoutes({
        gateways: [gateway('web', [http('h', 8080)])],
        routes: [route('r', { parentRefs: [{ name: 'web' }], rules: [{ backendRefs: [{ name: 'a' }], timeouts: t }] })],
        service: services(svc('a')),
      });
      expect(out.gatewayRoutes.get(`default/${gatewayRouteName('web', 8080)}`)!.http!.rules[0]!.timeoutMs).toBe(ms);
    }
  });

  it('marks listeners sharing a port and hostname Conflicted, and a port an older Gateway holds PortUnavailable', () => {
    const out = compileRoutes({
      gateways: [
        gateway('b-newer', [http('x', 9000), http('y', 9001)], 'edgeplane', '2026-02-01T00:00:00Z'),
        gateway('a-older', [http('one', 9000), http('two', 9000), http('host', 9000, 'a.local')]),
      ],
      routes: [route('r', { parentRefs: [{ name: 'a-older' }], rules: [{ backendRefs: [{ name: 'a' }] }] })],
      service: services(svc('a')),
    });
    expect(out.gateways.get('default/a-older')?.listeners).toEqual([
      { name: 'one', attachedRoutes: 1, problem: 'HostnameConflict' },
      { name: 'two', attachedRoutes: 1, problem: 'HostnameConflict' },
      { name: 'host', attachedRoutes: 1 },
    ]);
    expect(out.gateways.get('default/b-newer')?.listeners).toEqual([
      { name: 'x', attachedRoutes: 0, problem: 'PortUnavailable', heldBy: 'Gateway default/a-older' },
      { name: 'y', attachedRoutes: 0 },
    ]);
    // Port 9000 serves a-older's one valid listener only (the conflicted ones' rules are left out).
    const rules = out.gatewayRoutes.get(`default/${gatewayRouteName('a-older', 9000)}`)!.http!.rules;
    expect(rules.map((r) => r.hostnames)).toEqual([['a.local']]);
    expect(out.gatewayRoutes.has(`default/${gatewayRouteName('b-newer', 9000)}`)).toBe(false);
    expect(out.gatewayRoutes.has(`default/${gatewayRouteName('b-newer', 9001)}`)).toBe(true);
  });
});

describe('RouteController and the registry: GatewayClass, ReferenceGrant, listener conditions', () => {
  let rig: RouteRig;
  let api: ObjectRegistry;
  let until: RouteRig['until'];

  beforeEach(async () => {
    rig = await startRouteRig();
    ({ api, until } = rig);
  });

  afterEach(() => rig.close());

  const condOf = (conds: Array<{ type: string; status: string; reason?: string }> | undefined, type: string) =>
    conds?.find((c) => c.type === type);

  it('accepts our GatewayClasses, leaves Gateways of other classes at the CRD default Pending status', async () => {
    await api.create(GC, gclass('fast', 'edgeplane.io/gateway-controller'));
    await api.create(
      GC,
      gclass('paramed', 'edgeplane.io/gateway-controller', {
        parametersRef: { group: '', kind: 'ConfigMap', name: 'p', namespace: 'default' },
      }),
    );
    await api.create(GC, gclass('istio', 'istio.io/gateway-controller'));
    await api.create(GW, gateway('served', [http('h', 8080)], 'fast'));
    await api.create(GW, gateway('theirs', [http('h', 8081)], 'istio'));
    await api.create(GW, gateway('classless', [http('h', 8082)], 'missing'));
    const fast = await until('class accepted', async () => {
      const c = await api.get<GatewayClass>(GC, undefined, 'fast');
      return condOf(c.status?.conditions, 'Accepted')?.status === 'True' ? c : undefined;
    });
    expect(condOf(fast.status?.conditions, 'Accepted')).toMatchObject({ reason: 'Accepted', observedGeneration: 1 });
    const paramed = await until('class refused', async () => {
      const c = await api.get<GatewayClass>(GC, undefined, 'paramed');
      return condOf(c.status?.conditions, 'Accepted')?.status === 'False' ? c : undefined;
    });
    expect(condOf(paramed.status?.conditions, 'Accepted')?.reason).toBe('InvalidParameters');
    await until('served gateway programmed', async () => {
      const g = await api.get<Gateway>(GW, 'default', 'served');
      return condOf(g.status?.conditions, 'Programmed')?.status === 'True' ? g : undefined;
    });
    // The others were looked at by now (one queue): they keep what the API server stored on create.
    const pending = { status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' };
    for (const name of ['theirs', 'classless']) {
      const g = await api.get<Gateway>(GW, 'default', name);
      expect(g.status?.conditions).toEqual([
        { type: 'Accepted', ...pending, lastTransitionTime: '1970-01-01T00:00:00Z' },
        { type: 'Programmed', ...pending, lastTransitionTime: '1970-01-01T00:00:00Z' },
      ]);
    }
    expect((await api.get<GatewayClass>(GC, undefined, 'istio')).status?.conditions).toEqual([
      { type: 'Accepted', ...pending, lastTransitionTime: '1970-01-01T00:00:00Z' },
    ]);
    // controllerName is immutable.
    await expect(api.update(GC, { ...fast, spec: { controllerName: 'other.io/x' } })).rejects.toThrow(/immutable/);
  });

  it('writes listener Conflicted and follows a ReferenceGrant appearing', async () => {
    await api.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await api.create(SVC, svc('api', 'shop'));
    await api.create(GW, gateway('web', [http('one', 8080), http('two', 8080), http('host', 8080, 'a.local')]));
    await api.create(
      ROUTE,
      route('r', {
        parentRefs: [{ name: 'web' }],
        rules: [{ backendRefs: [{ name: 'api', namespace: 'shop', port: 80 }] }],
      }),
    );
    const gw = await until('listener statuses', async () => {
      const g = await api.get<Gateway>(GW, 'default', 'web');
      return g.status?.listeners?.length === 3 && g.status.listeners[0]?.attachedRoutes === 1 ? g : undefined;
    });
    expect(
      gw.status?.listeners?.map((l) => [
        l.name,
        condOf(l.conditions, 'Conflicted')?.reason,
        condOf(l.conditions, 'Programmed')?.status,
      ]),
    ).toEqual([
      ['one', 'HostnameConflict', 'False'],
      ['two', 'HostnameConflict', 'False'],
      ['host', 'NoConflicts', 'True'],
    ]);
    expect(condOf(gw.status?.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'ListenersNotValid' });
    const refused = await until('RefNotPermitted', async () => {
      const r = await api.get<HTTPRoute>(ROUTE, 'default', 'r');
      return r.status?.parents[0] ? r : undefined;
    });
    expect(condOf(refused.status?.parents[0]?.conditions, 'ResolvedRefs')?.reason).toBe('RefNotPermitted');
    await api.create(GRANT, grant('shop', 'default', 'api'));
    await until('ResolvedRefs after the grant', async () => {
      const r = await api.get<HTTPRoute>(ROUTE, 'default', 'r');
      return condOf(r.status?.parents[0]?.conditions, 'ResolvedRefs')?.status === 'True';
    });
  });

  it('refuses duplicate listener names and a backendRequest longer than the request timeout', async () => {
    await expect(api.create(GW, gateway('dup', [http('a', 8080), http('a', 8081)]))).rejects.toThrow(/Duplicate value/);
    await expect(
      api.create(
        ROUTE,
        route('t', { rules: [{ backendRefs: [{ name: 'a' }], timeouts: { request: '1s', backendRequest: '2s' } }] }),
      ),
    ).rejects.toThrow(/backendRequest timeout cannot be longer than request timeout/);
  });
});

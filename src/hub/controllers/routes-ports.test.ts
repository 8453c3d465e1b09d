/**
 * A Gateway listener and a NodePort Service on one node port: whoever held the port first keeps it.
 * A listener on a Service's node port is `Accepted=False` (`PortUnavailable`, naming the Service) and
 * not served; a Service asking for the port of a served listener is refused (422, naming the
 * Gateway) and such a port is never allocated. The compile, then the route controller and the
 * registry over a real SQLite store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway, Service } from '../../api/index.js';
import { InvalidError, typeByKind } from '../../api/index.js';
import type { ObjectRegistry } from '../registry/index.js';
import { startRouteRig, type RouteRig } from '../testing/index.js';
import { compileRoutes, gatewayRouteName, serviceNodePorts } from './index.js';

const G = 'gateway.networking.k8s.io';
const GW = typeByKind(`${G}/v1`, 'Gateway')!;
const SVC = typeByKind('v1', 'Service')!;

const nodePortSvc = (name: string, nodePort?: number): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] },
});
const gateway = (name: string, ports: number[]): Gateway => ({
  apiVersion: `${G}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    gatewayClassName: 'edgeplane',
    listeners: ports.map((port) => ({ name: `p${port}`, port, protocol: 'HTTP' as const })),
  },
});
type Listener = NonNullable<NonNullable<Gateway['status']>['listeners']>[number];
const accepted = (l: Listener | undefined) => l?.conditions.find((c) => c.type === 'Accepted');

describe('compileRoutes: a NodePort Service holds its port against Gateways', () => {
  it('refuses the listener on the node port and serves the others', () => {
    const out = compileRoutes({
      gateways: [gateway('web', [30080, 30081])],
      routes: [],
      service: () => undefined,
      nodePorts: serviceNodePorts([
        nodePortSvc('np', 30080),
        { ...nodePortSvc('plain'), spec: { ports: [{ port: 30081 }] } },
      ]),
    });
    expect(out.gateways.get('default/web')?.listeners).toEqual([
      { name: 'p30080', attachedRoutes: 0, problem: 'PortUnavailable', heldBy: 'Service default/np' },
      { name: 'p30081', attachedRoutes: 0 },
    ]);
    expect([...out.gatewayRoutes.keys()]).toEqual([`default/${gatewayRouteName('web', 30081)}`]);
  });
});

describe('RouteController and the registry: Gateway listeners against NodePort Services', () => {
  let rig: RouteRig;
  let api: ObjectRegistry;
  let until: RouteRig['until'];

  beforeEach(async () => {
    rig = await startRouteRig();
    ({ api, until } = rig);
  });

  afterEach(() => rig.close());

  const listeners = (want: (ls: Listener[]) => boolean) => async () => {
    const g = await api.get<Gateway>(GW, 'default', 'web');
    const ls = g.status?.listeners ?? [];
    return ls.length > 0 && want(ls) ? g : undefined;
  };

  it('flags the listener a Service holds, refuses a Service the port a listener serves, and hands the port over when the Service goes', async () => {
    await api.create(SVC, nodePortSvc('np', 30080));
    await api.create(GW, gateway('web', [30080, 30081]));
    const gw = await until(
      'p30080 PortUnavailable',
      listeners((ls) => accepted(ls[0])?.reason === 'PortUnavailable' && accepted(ls[1])?.status === 'True'),
    );
    expect(accepted(gw.status?.listeners?.[0])).toMatchObject({
      status: 'False',
      reason: 'PortUnavailable',
      message: 'NodePort Service default/np holds this port on the nodes',
    });
    expect(gw.status?.listeners?.[0]?.conditions.find((c) => c.type === 'Programmed')?.status).toBe('False');
    expect(gw.status?.conditions?.find((c) => c.type === 'Accepted')?.reason).toBe('ListenersNotValid');

    // The served listener's port is refused to a Service, naming the Gateway.
    const refused = await api.create(SVC, nodePortSvc('late', 30081)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidError);
    expect((refused as InvalidError).message).toContain(
      'spec.ports[0].nodePort: Invalid value: 30081: provided port is served by Gateway default/web (listener p30081)',
    );
    // The Service that already holds its port keeps it through an update.
    const np = await api.get<Service>(SVC, 'default', 'np');
    await api.update(SVC, { ...np, metadata: { ...np.metadata, labels: { touched: 'yes' } } });

    // The Service goes: the Gateway takes its port.
    await api.delete(SVC, 'default', 'np');
    await until(
      'p30080 accepted',
      listeners((ls) => accepted(ls[0])?.status === 'True'),
    );
  });

  it('never allocates the port of a served listener', async () => {
    // The registry's random source starts every pick at the bottom of the range: 30000 first.
    await rig.close();
    rig = await startRouteRig({ random: () => 0 });
    ({ api, until } = rig);
    await api.create(GW, gateway('web', [30000]));
    await until(
      'listener programmed',
      listeners((ls) => ls[0]?.conditions.some((c) => c.type === 'Programmed' && c.status === 'True') ?? false),
    );
    const s = await api.create<Service>(SVC, nodePortSvc('auto'));
    expect(s.spec.ports[0]!.nodePort).toBe(30001);
  });
});

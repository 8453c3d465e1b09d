/**
 * The GatewayClass finalizer (`gateway-exists-finalizer.gateway.networking.k8s.io`): present while a
 * Gateway names the class, so deleting a class in use waits for its last Gateway; the route
 * controller over a real registry and SQLite store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway, GatewayClass } from '../../api/index.js';
import { GATEWAY_CONTROLLER_NAME, NotFoundError, typeByKind } from '../../api/index.js';
import type { ObjectRegistry } from '../registry/index.js';
import { startRouteRig, type RouteRig } from '../testing/index.js';
import { retryOnConflict } from './util.js';

const G = 'gateway.networking.k8s.io';
const GW = typeByKind(`${G}/v1`, 'Gateway')!;
const GC = typeByKind(`${G}/v1`, 'GatewayClass')!;
const FINALIZER = 'gateway-exists-finalizer.gateway.networking.k8s.io';

const gclass = (name: string, controllerName = GATEWAY_CONTROLLER_NAME): GatewayClass => ({
  apiVersion: `${G}/v1`,
  kind: 'GatewayClass',
  metadata: { name },
  spec: { controllerName },
});
const gateway = (name: string, className: string, port: number): Gateway => ({
  apiVersion: `${G}/v1`,
  kind: 'Gateway',
  metadata: { name, namespace: 'default' },
  spec: { gatewayClassName: className, listeners: [{ name: 'h', port, protocol: 'HTTP' }] },
});

describe('GatewayClass finalizer', () => {
  let rig: RouteRig;
  let api: ObjectRegistry;
  let until: RouteRig['until'];

  beforeEach(async () => {
    rig = await startRouteRig();
    ({ api, until } = rig);
  });

  afterEach(() => rig.close());

  const getClass = async (name: string): Promise<GatewayClass | undefined> => {
    try {
      return await api.get<GatewayClass>(GC, undefined, name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  const programmed = (name: string) => async () => {
    const g = await api.get<Gateway>(GW, 'default', name);
    return g.status?.conditions?.find((c) => c.type === 'Programmed')?.status === 'True' ? g : undefined;
  };

  it('holds the deletion of a class in use until its last Gateway goes, and serves that Gateway meanwhile', async () => {
    await api.create(GC, gclass('fast'));
    await api.create(GW, gateway('web', 'fast', 8080));
    // The finalizer and the Accepted condition are two writes (metadata, then status), in either order.
    await until('finalizer added and the class accepted', async () => {
      const c = await getClass('fast');
      const accepted = c?.status?.conditions?.find((k) => k.type === 'Accepted')?.status === 'True';
      return accepted && c?.metadata.finalizers?.includes(FINALIZER);
    });

    // Deleting it only marks it: the finalizer holds it while `web` names it.
    const marked = await api.delete<GatewayClass>(GC, undefined, 'fast');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    // A change that makes the controller look at every object again; once it has written the new
    // Gateway's status, it has looked at the class too, and left it held.
    await api.create(GC, gclass('other'));
    await api.create(GW, gateway('later', 'other', 8081));
    await until('the other Gateway programmed', programmed('later'));
    const still = await getClass('fast');
    expect(still?.metadata.finalizers).toEqual([FINALIZER]);
    expect(still?.metadata.deletionTimestamp).toBeDefined();
    await until('web still programmed', programmed('web'));

    // The last Gateway goes: the finalizer is removed and the deletion completes.
    await api.delete(GW, 'default', 'web');
    await until('class deleted', async () => (await getClass('fast')) === undefined);
    // The class still in use keeps its finalizer.
    expect((await getClass('other'))?.metadata.finalizers).toEqual([FINALIZER]);
  });

  it('removes the finalizer when the Gateways move away, deletes an unused class at once, leaves others’ classes alone', async () => {
    await api.create(GC, gclass('a'));
    await api.create(GC, gclass('b'));
    await api.create(GC, gclass('theirs', 'istio.io/gateway-controller'));
    await api.create(GW, gateway('web', 'a', 8080));
    await api.create(GW, gateway('mesh', 'theirs', 8082));
    await until('a held', async () => (await getClass('a'))?.metadata.finalizers?.includes(FINALIZER));
    // `web` moves to class b: b gains the finalizer, a loses it.
    // (Read and written again on a conflict, as any client does: the controller writes its status.)
    await retryOnConflict(async () => {
      const web = await api.get<Gateway>(GW, 'default', 'web');
      return api.update(GW, { ...web, spec: { ...web.spec, gatewayClassName: 'b' } });
    });
    await until('b held, a released', async () => {
      const [a, b] = [await getClass('a'), await getClass('b')];
      return b?.metadata.finalizers?.includes(FINALIZER) && (a?.metadata.finalizers ?? []).length === 0;
    });
    // Nothing holds a: its deletion is immediate.
    const gone = await api.delete<GatewayClass>(GC, undefined, 'a');
    expect(gone.metadata.finalizers ?? []).toEqual([]);
    expect(await getClass('a')).toBeUndefined();
    // Another controller's class is not ours to hold.
    expect((await getClass('theirs'))?.metadata.finalizers).toBeUndefined();
  });
});

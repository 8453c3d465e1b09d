/**
 * The route controller over a real registry on a temporary SQLite store, with the informers it reads:
 * the set-up the route tests (classes, grants, listener conditions, status) share. Tests only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway, GatewayClass, HTTPRoute, Node, ReferenceGrant, Service } from '../../api/index.js';
import { systemClock } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { RouteController } from '../controllers/index.js';
import { InformerFactory } from '../informers/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';

const G = 'gateway.networking.k8s.io';

/** A running route controller and the registry it writes to. */
export interface RouteRig {
  api: ObjectRegistry;
  /** Polls `fn` every 20 ms until it returns a truthy value (returned), or throws naming `what` after `ms`. */
  until: <T>(what: string, fn: () => Promise<T | undefined | false>, ms?: number) => Promise<T>;
  /** Stops the controller and informers, closes the store, removes the temporary directory. */
  close(): Promise<void>;
}

export interface RouteRigOptions {
  /** Give the controller GatewayClass and ReferenceGrant informers (default true). */
  classes?: boolean;
  /** Default deadline of `until` in milliseconds (default 20 s). */
  untilMs?: number;
  /** The registry's random source (node-port picks); default Math.random. */
  random?: () => number;
}

/** Starts the route controller over a fresh registry with the `default` namespace. */
export async function startRouteRig(opts: RouteRigOptions = {}): Promise<RouteRig> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-routes-'));
  const logger = silentLogger();
  const store = await SqliteStore.create({ path: join(dir, 'db'), logger });
  const api = new ObjectRegistry({
    store,
    clock: systemClock,
    logger,
    ...(opts.random ? { random: opts.random } : {}),
  });
  await api.ensureNamespace('default');
  const informers = new InformerFactory(api, logger);
  const classes = opts.classes ?? true;
  const controller = new RouteController({
    api,
    gateways: informers.for<Gateway>(`${G}/v1`, 'Gateway'),
    httpRoutes: informers.for<HTTPRoute>(`${G}/v1`, 'HTTPRoute'),
    ...(classes
      ? {
          gatewayClasses: informers.for<GatewayClass>(`${G}/v1`, 'GatewayClass'),
          referenceGrants: informers.for<ReferenceGrant>(`${G}/v1beta1`, 'ReferenceGrant'),
        }
      : {}),
    services: informers.for<Service>('v1', 'Service'),
    nodes: informers.for<Node>('v1', 'Node'),
    clock: systemClock,
    logger,
  });
  await informers.start();
  controller.start();
  const untilMs = opts.untilMs ?? 20_000;
  return {
    api,
    until: async <T>(what: string, fn: () => Promise<T | undefined | false>, ms = untilMs): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: async (): Promise<void> => {
      await controller.stop();
      informers.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

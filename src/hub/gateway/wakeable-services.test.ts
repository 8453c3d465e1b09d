/**
 * The scale-from-zero flag of Service routes, through a real hub and a raw node: a Service selecting
 * the pods of a Deployment that an HPA may take to zero reaches the node marked `scaleFromZero` (so the
 * node holds its requests while it has no ready endpoint); without such an HPA, or when the HPA goes,
 * the flag goes, and a Service selecting other pods never has it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { Deployment, HorizontalPodAutoscaler, Service, ServiceRoute } from '../../api/index.js';
import { RawNode, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const SVC = typeByKind('v1', 'Service')!;
const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const HPA = typeByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;

const service = (name: string, app: string, nodePort: number): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'NodePort', selector: { app }, ports: [{ port: 80, nodePort }] },
});

const deployment = (name: string): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x.wasm' }] } },
  },
});

const hpa = (name: string, minReplicas: number): HorizontalPodAutoscaler => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    minReplicas,
    maxReplicas: 2,
    metrics: [
      {
        type: 'Pods',
        pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '5' } },
      },
    ],
  },
});

describe('the scale-from-zero flag on Service routes', () => {
  let t: TestHub;
  let node: RawNode;
  beforeAll(async () => {
    t = await startGatewayHub({ serviceCoalesceMs: 10 });
    node = await RawNode.connect(t.url, t.token, 'edge-1');
  });
  afterAll(async () => {
    await node.close();
    await t.stop();
  });

  /** The latest whole route of `name` the node was sent (set or delta). */
  const routeOf = (name: string): ServiceRoute | undefined => {
    let route: ServiceRoute | undefined;
    for (const f of node.frames) {
      if (f.msg.type === 'serviceSet') route = f.msg.services.find((e) => e.route.name === name)?.route ?? route;
      if (f.msg.type === 'serviceDelta' && f.msg.name === name && f.msg.route) route = f.msg.route;
    }
    return route;
  };

  it('comes with an HPA of minReplicas 0 on the selected Deployment, and goes with it', async () => {
    await t.hub.api.create(DEPLOY, deployment('fn'));
    await t.hub.api.create(DEPLOY, deployment('steady'));
    await t.hub.api.create(SVC, service('fn', 'fn', 30401));
    await t.hub.api.create(SVC, service('steady', 'steady', 30402));
    await until(() => routeOf('fn') !== undefined && routeOf('steady') !== undefined, 'both routes');
    expect(routeOf('fn')?.scaleFromZero).toBeUndefined();

    await t.hub.api.create(HPA, hpa('fn', 0));
    await t.hub.api.create(HPA, hpa('steady', 1)); // never at zero: never held
    await until(() => routeOf('fn')?.scaleFromZero === true, 'fn marked scale-from-zero');
    expect(routeOf('steady')?.scaleFromZero).toBeUndefined();

    await t.hub.api.delete(HPA, 'default', 'fn');
    await until(() => routeOf('fn') !== undefined && routeOf('fn')?.scaleFromZero === undefined, 'the flag gone');
    expect(routeOf('steady')?.scaleFromZero).toBeUndefined();
  });

  it('comes when the HPA was there before its Deployment', async () => {
    await t.hub.api.create(HPA, hpa('late', 0));
    await t.hub.api.create(SVC, service('late', 'late', 30403));
    await until(() => routeOf('late') !== undefined, 'the route');
    expect(routeOf('late')?.scaleFromZero).toBeUndefined();
    await t.hub.api.create(DEPLOY, deployment('late'));
    await until(() => routeOf('late')?.scaleFromZero === true, 'late marked scale-from-zero');
  });
});

/**
 * The objects of the canary rig's scenario (`default/podinfo`), written to the registry as their
 * owners would: the target Deployment as a user applies it, its rolled-out status as the Deployment
 * controller writes it, the canary's pods and endpoints as the nodes and the endpoints controller do.
 * No such controller runs in the rig, so these writes stand in for them.
 */
import type { Canary, Deployment, Pod } from '../../../../api/index.js';
import { typeByKind } from '../../../../api/index.js';
import type { ObjectRegistry } from '../../../registry/index.js';
import { appDeployment } from '../../testing/app-deployment.js';

/** The resource types the rig reads and writes. */
export const POD = typeByKind('v1', 'Pod')!;
export const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
export const ROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;
export const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
export const EVENT = typeByKind('v1', 'Event')!;
export const ENDPOINTS = typeByKind('v1', 'Endpoints')!;

/** The analysis metrics the tests' canaries check: at least 99 % success, at most 500 ms. */
export const METRICS = [
  { name: 'request-success-rate' as const, thresholdRange: { min: 99 } },
  { name: 'request-duration' as const, thresholdRange: { max: 500 } },
];

/** Creates the target Deployment `podinfo` running `image`, or sets the image of the one there. */
export async function writeTarget(api: ObjectRegistry, image: string, replicas = 2): Promise<void> {
  const d = appDeployment('podinfo', replicas, { name: 'app', image });
  const have = await api.get<Deployment>(DEPLOY, 'default', 'podinfo').catch(() => undefined);
  if (have) await api.update(DEPLOY, { ...have, spec: { ...have.spec, template: d.spec.template } });
  else await api.create(DEPLOY, d);
}

/** Writes `name`'s status as the Deployment controller would once every replica rolled out. */
export async function writeRolledOut(api: ObjectRegistry, name: string): Promise<void> {
  const d = await api.get<Deployment>(DEPLOY, 'default', name);
  const n = d.spec.replicas ?? 1;
  await api.updateStatus(DEPLOY, {
    ...d,
    status: {
      observedGeneration: d.metadata.generation,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
    },
  });
}

/** Creates `n` Ready canary pods (the target's labels) and their Service's endpoints; returns their uids. */
export async function createCanaryPods(api: ObjectRegistry, n: number): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = await api.create<Pod>(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `podinfo-${i}`, namespace: 'default', labels: { app: 'podinfo' } },
      spec: { containers: [{ name: 'app', image: 'x.wasm' }] },
    });
    await api.updateStatus(POD, {
      ...p,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x.wasm', state: { running: {} } }],
      },
    });
    uids.push(p.metadata.uid ?? '');
  }
  // Their Service's endpoints, as the endpoints controller writes them.
  await api.create(ENDPOINTS, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'podinfo-canary', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '127.0.0.1', nodeName: 'pi-1' }], ports: [{ port: 8080 }] }],
  });
  return uids;
}

/** Creates the Canary `podinfo` of the target, over Gateway API routes, with `analysis`. */
export async function createCanary(api: ObjectRegistry, analysis: Canary['spec']['analysis']): Promise<void> {
  await api.create(CANARY, {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'default' },
    spec: {
      provider: 'gatewayapi:v1',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 80, targetPort: 8080 },
      analysis,
    },
  });
}

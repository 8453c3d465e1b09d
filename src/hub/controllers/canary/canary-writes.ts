/**
 * The canary controller's writes to what it owns, each idempotent (written only when it differs) and
 * fed back into the informers, so the next reconcile sees its own writes.
 */
import {
  NotFoundError,
  typeByKind,
  type Canary,
  type Deployment,
  type HTTPRoute,
  type KubeObject,
  type ResourceType,
  type Service,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';
import { jsonEqual } from '../../reconcile/index.js';
import { updateScale, type ObjectAPI } from '../../registry/index.js';
import { primaryDeployment, primaryTemplate, route, services } from './objects.js';

const DEPLOYMENT = typeByKind('apps/v1', 'Deployment')!;
const SERVICE = typeByKind('v1', 'Service')!;
const HTTPROUTE = typeByKind('gateway.networking.k8s.io/v1', 'HTTPRoute')!;

/** What the writes go through. */
export interface CanaryWriteDeps {
  api: ObjectAPI;
  deployments: Informer<Deployment>;
  services: Informer<Service>;
  httpRoutes: Informer<HTTPRoute>;
}

type Label = { key: string; value: string };

async function createOrUpdate<T extends KubeObject>(
  api: ObjectAPI,
  type: ResourceType,
  cache: Informer<T>,
  existing: T | undefined,
  next: T,
): Promise<void> {
  cache.observe(existing ? await api.update<T>(type, next) : await api.create<T>(type, next));
}

/** The three Services and the route at `canaryWeight`, created or brought back to what they should be. */
export async function ensureServing(
  deps: CanaryWriteDeps,
  cd: Canary,
  label: Label,
  canaryWeight: number,
): Promise<void> {
  const ns = cd.metadata.namespace ?? 'default';
  for (const want of services(cd, label)) {
    const have = deps.services.get(ns, want.metadata.name ?? '');
    const port = want.spec.ports[0]!;
    const same =
      have !== undefined &&
      jsonEqual(have.spec.selector, want.spec.selector) &&
      have.spec.ports.length === 1 &&
      have.spec.ports[0]!.port === port.port &&
      String(have.spec.ports[0]!.targetPort ?? have.spec.ports[0]!.port) === String(port.targetPort);
    if (same) continue;
    // An existing Service (the user's apex, say) keeps its type and node port; the canary sets whom it selects.
    const next: Service = have
      ? {
          ...have,
          spec: {
            ...have.spec,
            selector: want.spec.selector,
            ports: [{ ...port, ...(have.spec.ports[0]?.nodePort ? { nodePort: have.spec.ports[0].nodePort } : {}) }],
          },
        }
      : want;
    await createOrUpdate(deps.api, SERVICE, deps.services, have, next);
  }
  const want = route(cd, canaryWeight);
  const have = deps.httpRoutes.get(ns, want.metadata.name ?? '');
  if (have && jsonEqual(have.spec, want.spec)) return;
  await createOrUpdate(
    deps.api,
    HTTPROUTE,
    deps.httpRoutes,
    have,
    have
      ? { ...have, metadata: { ...have.metadata, ...want.metadata, uid: have.metadata.uid }, spec: want.spec }
      : want,
  );
}

/** Creates the primary from the target when it does not exist yet. */
export async function ensurePrimary(
  deps: CanaryWriteDeps,
  cd: Canary,
  target: Deployment,
  label: Label,
): Promise<Deployment> {
  const want = primaryDeployment(cd, target, label, Math.max(1, target.spec.replicas ?? 1));
  const have = deps.deployments.get(cd.metadata.namespace, want.metadata.name ?? '');
  if (have) return have;
  const made = await deps.api.create<Deployment>(DEPLOYMENT, want);
  deps.deployments.observe(made);
  return made;
}

/**
 * Promotion: the primary takes the target's template (and its replicas, when it has any and no HPA
 * of `autoscalerRef` scales the primary: then the replicas are the HPA's).
 */
export async function promotePrimary(
  deps: CanaryWriteDeps,
  cd: Canary,
  target: Deployment,
  label: Label,
): Promise<void> {
  const primary = await ensurePrimary(deps, cd, target, label);
  const template = primaryTemplate(target, label);
  const replicas = target.spec.replicas && !cd.spec.autoscalerRef ? target.spec.replicas : primary.spec.replicas;
  if (jsonEqual(primary.spec.template, template) && primary.spec.replicas === replicas) return;
  const next: Deployment = {
    ...primary,
    spec: { ...primary.spec, template, ...(replicas !== undefined ? { replicas } : {}) },
  };
  deps.deployments.observe(await deps.api.update<Deployment>(DEPLOYMENT, next));
}

/** Scales the target Deployment to `replicas` through its scale subresource (a no-op when it is there). */
export async function scaleTarget(deps: CanaryWriteDeps, target: Deployment, replicas: number): Promise<void> {
  if ((target.spec.replicas ?? 1) === replicas) return;
  try {
    await updateScale(deps.api, DEPLOYMENT, target.metadata.namespace ?? 'default', target.metadata.name ?? '', {
      spec: { replicas },
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

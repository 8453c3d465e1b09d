/**
 * The endpoints controller: for each Service with a selector, the pods it selects that run on a
 * node become its `Endpoints` — Ready pods in `addresses`, the rest in `notReadyAddresses` (an
 * endpoint is never a guess: not Ready means no traffic). Pods being deleted leave at once.
 */
import type { Clock, Endpoints, EndpointAddress, Logger, Node, Pod, Service } from '../../api/index.js';
import {
  AlreadyExistsError,
  NotFoundError,
  fromMatchLabels,
  isPodReady,
  matchesLabels,
  nodeAddress,
  typeByKind,
} from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { Controller, jsonEqual } from '../reconcile/index.js';

const EP = typeByKind('v1', 'Endpoints')!;

export interface EndpointsControllerDeps {
  api: ObjectAPI;
  services: Informer<Service>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  endpoints: Informer<Endpoints>;
  clock: Clock;
  logger: Logger;
}

/** Resolves a Service targetPort (number or container port name) against one pod. */
export function resolveTargetPort(target: number | string, pod: Pod): number | undefined {
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}

/** Publishes each selector Service's ready and not-ready pods as its Endpoints. */
export class EndpointsController extends Controller {
  constructor(private readonly deps: EndpointsControllerDeps) {
    super({ name: 'endpoints', logger: deps.logger, clock: deps.clock });
    this.enqueueFrom(deps.services, objectKey, { add: true, update: true, delete: true });
    const podChanged = (old: Pod | undefined, pod: Pod): void => {
      for (const svc of deps.services.list(
        (s) => s.metadata.namespace === pod.metadata.namespace && s.spec.selector !== undefined,
      )) {
        const sel = fromMatchLabels(svc.spec.selector);
        if (matchesLabels(sel, pod.metadata.labels) || (old && matchesLabels(sel, old.metadata.labels)))
          this.queue.add(objectKey(svc));
      }
    };
    deps.pods.addHandler({
      onAdd: (p) => podChanged(undefined, p),
      onUpdate: (o, p) => podChanged(o, p),
      onDelete: (p) => podChanged(undefined, p),
    });
    // An endpoint reads only its node's address: a node's status refresh (heartbeat times, usage) is
    // no news to any Service. Re-reading every Service on each of them cost O(nodes × pods) per refresh
    // round at 1,000 nodes.
    deps.nodes.addHandler({
      onAdd: () => this.enqueueAll(),
      onUpdate: (o, n) => {
        if (nodeAddress(o) !== nodeAddress(n)) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
  }

  /** Every Service. */
  protected initialKeys(): string[] {
    return this.deps.services.list().map(objectKey);
  }

  private enqueueAll(): void {
    for (const key of this.initialKeys()) this.queue.add(key);
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.deps.services.get(namespace, name);
    const existing = this.deps.endpoints.get(namespace, name);
    if (!svc) {
      if (existing) {
        try {
          await this.deps.api.delete(EP, namespace, name);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return;
    }
    if (!svc.spec.selector) return; // Endpoints of selector-less Services are managed by hand.
    const sel = fromMatchLabels(svc.spec.selector);
    const pods = this.deps.pods
      .list(
        (p) =>
          p.metadata.namespace === namespace &&
          matchesLabels(sel, p.metadata.labels) &&
          !!p.spec.nodeName &&
          !p.metadata.deletionTimestamp &&
          p.status?.phase === 'Running',
      )
      // Code-unit order: deterministic, and a tenth of localeCompare's cost over thousands of pods.
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const pod of pods) {
      const node = this.deps.nodes.get(undefined, pod.spec.nodeName ?? '');
      const ip = node ? nodeAddress(node) : undefined;
      if (!ip) continue;
      const addr: EndpointAddress = {
        ip,
        nodeName: pod.spec.nodeName,
        targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      };
      (isPodReady(pod) ? ready : notReady).push(addr);
    }
    const firstPod = pods[0];
    const ports = svc.spec.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port:
        (firstPod ? resolveTargetPort(p.targetPort ?? p.port, firstPod) : undefined) ??
        (typeof p.targetPort === 'number' ? p.targetPort : p.port),
      protocol: 'TCP' as const,
    }));
    const subsets =
      ready.length + notReady.length === 0
        ? []
        : [
            {
              ...(ready.length ? { addresses: ready } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady } : {}),
              ports,
            },
          ];
    if (existing && jsonEqual(existing.subsets ?? [], subsets)) return;
    const desired: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace, labels: { ...(svc.metadata.labels ?? {}) } },
      subsets,
    };
    if (existing) {
      const updated = await this.deps.api.update<Endpoints>(EP, { ...existing, subsets });
      this.deps.endpoints.observe(updated);
    } else {
      try {
        const created = await this.deps.api.create<Endpoints>(EP, desired);
        this.deps.endpoints.observe(created);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        throw new Error(`endpoints ${key} appeared concurrently; retrying`, { cause: err });
      }
    }
  }
}

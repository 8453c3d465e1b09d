/** Registers a connecting node: creates or refreshes its Node object from what it reported (no write when nothing changed). */
import type { Node, NodeInfo } from '../../api/index.js';
import { AlreadyExistsError, ConflictError, NotFoundError, typeByKind } from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { statusImages } from './node-images.js';

const NODE = typeByKind('v1', 'Node')!;

/** Node labels the hub sets from what the node reports (Kubernetes' well-known labels). */
function wellKnownLabels(info: NodeInfo): Record<string, string> {
  return { 'kubernetes.io/hostname': info.name, 'kubernetes.io/arch': info.arch, 'kubernetes.io/os': info.os };
}

/** Attempts at a Node write that lost a race before the hello fails (each re-reads the Node). */
const REGISTER_ATTEMPTS = 5;

/**
 * Creates or refreshes the Node object from what the node reported. A write that loses a race (the
 * node lifecycle controller marking the Node while this hello reads it, as in a reconnect storm, or a
 * concurrent create) is retried on a fresh read, as client-go's RetryOnConflict does, instead of
 * failing the hello.
 */
export async function registerNode(api: ObjectAPI, nodes: Informer<Node>, info: NodeInfo): Promise<Node> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerOnce(api, nodes, info);
    } catch (err) {
      const raced = err instanceof ConflictError || err instanceof AlreadyExistsError;
      if (!raced || attempt >= REGISTER_ATTEMPTS) throw err;
    }
  }
}

async function registerOnce(api: ObjectAPI, nodes: Informer<Node>, info: NodeInfo): Promise<Node> {
  const status: Node['status'] = {
    capacity: {
      cpu: String(info.capacity.cpu),
      memory: String(info.capacity.memory),
      pods: String(info.capacity.pods),
    },
    allocatable: {
      cpu: String(info.capacity.cpu),
      memory: String(info.capacity.memory),
      pods: String(info.capacity.pods),
    },
    addresses: [
      { type: 'InternalIP', address: info.address },
      { type: 'Hostname', address: info.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: info.meshPort } },
    nodeInfo: {
      architecture: info.arch,
      operatingSystem: info.os,
      kubeletVersion: info.agentVersion,
      ...(info.kernelVersion ? { kernelVersion: info.kernelVersion } : {}),
      ...(info.osImage ? { osImage: info.osImage } : {}),
      containerRuntimeVersion: info.runtimes.join(','),
    },
    runtimeHandlers: info.runtimes.map((name) => ({ name })),
    images: statusImages(info.images ?? []),
  };
  const labels = { ...info.labels, ...wellKnownLabels(info) };
  let existing: Node | undefined;
  try {
    existing = await api.get<Node>(NODE, undefined, info.name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (!existing) {
    const created = await api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: info.name, labels },
      spec: {},
    });
    existing = created;
  } else if (!jsonEqual({ ...existing.metadata.labels, ...labels }, existing.metadata.labels)) {
    existing = await api.update<Node>(NODE, {
      ...existing,
      metadata: { ...existing.metadata, labels: { ...existing.metadata.labels, ...labels } },
    });
  }
  const next = { ...status, conditions: existing.status?.conditions ?? [] };
  // A reconnect that reports what the Node already says (the usual one, and every one of a reconnect
  // storm after a hub restart) costs no write.
  if (existing.status && jsonEqual({ ...existing.status, conditions: next.conditions }, next)) return existing;
  const updated = await api.updateStatus<Node>(NODE, { ...existing, status: next });
  nodes.observe(updated);
  return updated;
}

/**
 * Registers a connecting node: creates its Node object or refreshes its labels from what it reported
 * (no write when nothing changed). The status it reported ({@link reportedStatus}) is written by the
 * node lifecycle controller's `markReady`, in one write with the Ready condition, as kubelet posts its
 * Ready condition in its own status write: a first registration costs one status write, not two.
 */
import type { Node, NodeInfo } from '../../api/index.js';
import { AlreadyExistsError, ConflictError, NotFoundError, typeByKind } from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { ReportedStatus } from '../controllers/index.js';
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
 * Creates the Node object, or refreshes its labels, from what the node reported; returns the Node as
 * stored. A write that loses a race (the node lifecycle controller marking the Node while this hello
 * reads it, as in a reconnect storm, or a concurrent create) is retried on a fresh read, as client-go's
 * RetryOnConflict does, instead of failing the hello.
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

/** The status a node's hello reports (its capacity, addresses, versions, runtimes and images). */
export function reportedStatus(info: NodeInfo): ReportedStatus {
  return {
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
}

async function registerOnce(api: ObjectAPI, nodes: Informer<Node>, info: NodeInfo): Promise<Node> {
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
    nodes.observe(created);
    return created;
  }
  if (jsonEqual({ ...existing.metadata.labels, ...labels }, existing.metadata.labels)) return existing;
  const updated = await api.update<Node>(NODE, {
    ...existing,
    metadata: { ...existing.metadata, labels: { ...existing.metadata.labels, ...labels } },
  });
  nodes.observe(updated);
  return updated;
}

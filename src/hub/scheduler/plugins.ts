/**
 * Filter and score plugins. A filter returns `undefined` when the node fits, else the reason it does
 * not (aggregated into "0/3 nodes are available: …"). Scores are 0–100, higher is better.
 *
 * As in kube-scheduler's framework, plugins read a {@link PodInfo} (what they need of the pod, computed
 * once per scheduling attempt) and a {@link NodeInfo} per node (the Node, its usage and allocatable,
 * looked up once per node walked): an attempt at 1,000 nodes walks ~420 of them through a filter and
 * three scores, and each plugin looking the same things up again was most of `pickNode`'s time.
 */
import type { Node, Pod, Taint } from '../../api/index.js';
import { cpuMillis, defaultRuntimeClass, memoryBytes, nodeReadyStatus, parseQuantity } from '../../api/index.js';
import { type NodeAccounting, type NodeUsage, podRequests, spreadKey } from './accounting.js';
import { tolerates } from './taints.js';

/** What a node offers pods (parsed once per Node object). */
export interface Allocatable {
  cpu: number;
  memory: number;
  pods: number;
}

/** The pod being placed, as the plugins read it in one scheduling attempt (kube-scheduler's CycleState). */
export interface PodInfo {
  readonly pod: Pod;
  /** What it requests (requests, else limits, summed over containers). */
  readonly requests: { readonly cpu: number; readonly memory: number };
  /** The workload it is spread with (accounting.ts). */
  readonly spreadKey: string;
  /**
   * What {@link ScorePlugin.cacheable} scores read of the pod, as one string: pods with the same key
   * score alike on a node whose Node and usage did not change.
   */
  readonly scoreKey: string;
  /** What the static filters read of the pod, as one string ({@link schedulingSignature}). */
  readonly signature: string;
}

/** One node as the plugins read it in one scheduling attempt (kube-scheduler's NodeInfo). */
export interface NodeInfo {
  readonly node: Node;
  readonly name: string;
  /** What is bound to it now (placements being written included). */
  readonly usage: NodeUsage;
  readonly allocatable: Allocatable;
  /** The images the node holds (`status.images`), for ImageLocality. */
  readonly images: ReadonlySet<string>;
}

/** The {@link PodInfo} of `pod`. */
export function podInfo(pod: Pod): PodInfo {
  const requests = podRequests(pod);
  const spread = spreadKey(pod);
  // JSON, so no owner uid or image can make two different pods' keys alike (any string is allowed in both).
  const scoreKey = JSON.stringify([requests.cpu, requests.memory, spread, ...pod.spec.containers.map((c) => c.image)]);
  return { pod, requests, spreadKey: spread, scoreKey, signature: schedulingSignature(pod) };
}

/**
 * What of a pod the static filters read (fit-cache.ts: runtime class, node selector, tolerations,
 * image architectures), as one string: the replicas of one workload share it.
 */
export function schedulingSignature(pod: Pod): string {
  return JSON.stringify([
    defaultRuntimeClass(pod.spec),
    pod.spec.nodeSelector ?? null,
    pod.spec.tolerations ?? null,
    pod.metadata.annotations?.[IMAGE_ARCHITECTURES_ANNOTATION] ?? null,
  ]);
}

/** The {@link NodeInfo} of `node` under `acct`. */
export function nodeInfo(node: Node, acct: NodeAccounting): NodeInfo {
  const name = node.metadata.name ?? '';
  return {
    node,
    name,
    usage: acct.get(name),
    allocatable: allocatable(node),
    get images() {
      return nodeImages(node);
    },
  };
}

export interface FilterPlugin {
  name: string;
  /**
   * True when the verdict depends only on the Node object and the pod's scheduling signature
   * (fit-cache.ts: runtime class, node selector, tolerations, image architectures), never on what is
   * bound where: the scheduler then memoises it per node and workload.
   */
  static?: boolean;
  /**
   * True when the verdict depends only on what {@link PodInfo.scoreKey} holds of the pod (its requests,
   * spread key and images) and on the node's Node object and usage: with every score cacheable too, the
   * scheduler keeps each node's verdict with its total until either changes (node-infos.ts).
   */
  cacheable?: boolean;
  filter(pod: PodInfo, node: NodeInfo): string | undefined;
}

export interface ScorePlugin {
  name: string;
  weight: number;
  /**
   * True when the score depends only on the pod's {@link PodInfo.scoreKey} (its requests, spread key and
   * images) and on the node's Node object and usage: the scheduler then keeps each node's total for the
   * next pod alike until either changes (node-infos.ts). In a rollout every pod is alike and one
   * placement changes one node, so a pick at 1,000 nodes scored ~420 nodes to learn what one changed.
   */
  cacheable?: boolean;
  score(pod: PodInfo, node: NodeInfo): number;
}

// Cached per Node object: informers replace a changed Node with a new object, so an entry never goes
// stale, and filters run once per node per pod (quantities are parsed once, not nodes × pods times).
// Nothing is cached per Pod object this way: a rollout makes hundreds of thousands of them, and every
// entry of a WeakMap is an ephemeron the major GC must revisit (see PodInfo: once per attempt).
const allocatableCache = new WeakMap<Node, Allocatable>();
const imagesCache = new WeakMap<Node, ReadonlySet<string>>();

/** What `node` offers pods, parsed once per Node object. */
export function allocatable(node: Node): Allocatable {
  let cached = allocatableCache.get(node);
  if (!cached) {
    const a = node.status?.allocatable ?? node.status?.capacity ?? {};
    cached = {
      cpu: cpuMillis(a.cpu),
      memory: memoryBytes(a.memory),
      pods: Math.floor(parseQuantity(a.pods ?? 110) ?? 110),
    };
    allocatableCache.set(node, cached);
  }
  return cached;
}

/** The images `node` holds, as a set (made once per Node object). */
export function nodeImages(node: Node): ReadonlySet<string> {
  let cached = imagesCache.get(node);
  if (!cached) {
    cached = new Set((node.status?.images ?? []).flatMap((i) => i.names));
    imagesCache.set(node, cached);
  }
  return cached;
}

function podTolerates(pod: Pod, taint: Taint): boolean {
  return tolerates(pod.spec.tolerations ?? [], taint);
}

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  static: true,
  filter: (_pod, { node }) => (nodeReadyStatus(node) === 'True' ? undefined : 'node(s) were not ready'),
};

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  static: true,
  filter: ({ pod }, { node }) =>
    node.spec?.unschedulable && !podTolerates(pod, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })
      ? 'node(s) were unschedulable'
      : undefined,
};

export const runtimeSupported: FilterPlugin = {
  name: 'RuntimeClass',
  static: true,
  filter: ({ pod }, { node }) => {
    const rc = defaultRuntimeClass(pod.spec);
    return (node.status?.runtimeHandlers ?? []).some((h) => h.name === rc)
      ? undefined
      : `node(s) did not offer runtime "${rc}"`;
  },
};

/**
 * Annotation naming the architectures an OCI pod's image is built for (comma-separated Kubernetes
 * names, e.g. `amd64,arm64`). Without it any node may be tried (and one of a foreign architecture
 * reports ErrImagePull naming the platforms the image offers); `nodeSelector: {kubernetes.io/arch: …}`
 * works too, as in Kubernetes.
 */
export const IMAGE_ARCHITECTURES_ANNOTATION = 'edgeplane.io/image-architectures';

/** An OCI pod goes only to nodes of an architecture its image offers; a Wasm pod runs on any. */
export const imageArchitecture: FilterPlugin = {
  name: 'ImageArchitecture',
  static: true,
  filter: ({ pod }, { node }) => {
    const listed = pod.metadata.annotations?.[IMAGE_ARCHITECTURES_ANNOTATION];
    if (listed === undefined || defaultRuntimeClass(pod.spec) !== 'oci') return undefined;
    const archs = listed
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    const arch = node.status?.nodeInfo?.architecture;
    return arch !== undefined && archs.includes(arch)
      ? undefined
      : `node(s) didn't match the image's architectures (${archs.join(', ')})`;
  },
};

export const nodeSelector: FilterPlugin = {
  name: 'NodeSelector',
  static: true,
  filter: ({ pod }, { node }) => {
    const labels = node.metadata.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {}))
      if (labels[k] !== v) return "node(s) didn't match Pod's node selector";
    return undefined;
  },
};

export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  static: true,
  filter: ({ pod }, { node }) => {
    const t = (node.spec?.taints ?? []).find(
      (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !podTolerates(pod, t),
    );
    return t ? `node(s) had untolerated taint {${t.key}${t.value ? `: ${t.value}` : ''}}` : undefined;
  },
};

export const resourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  cacheable: true,
  filter: ({ requests: req }, { allocatable: cap, usage: used }) => {
    if (used.pods + 1 > cap.pods) return 'Too many pods';
    if (req.cpu > 0 && used.cpu + req.cpu > cap.cpu) return 'Insufficient cpu';
    if (req.memory > 0 && used.memory + req.memory > cap.memory) return 'Insufficient memory';
    return undefined;
  },
};

/** Prefers nodes with the most free cpu and memory (relative to allocatable). */
export const leastAllocated: ScorePlugin = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  cacheable: true,
  score: ({ requests: req }, { allocatable: cap, usage: used }) => {
    const podsFree = free(cap.pods, used.pods + 1);
    return Math.round(
      ((free(cap.cpu, used.cpu + req.cpu) + free(cap.memory, used.memory + req.memory) + podsFree) / 3) * 100,
    );
  },
};

/** The share of `capacity` left after `used` (0 when nothing is offered). */
function free(capacity: number, used: number): number {
  return capacity <= 0 ? 0 : Math.max(0, (capacity - used) / capacity);
}

/** Spreads one workload's replicas: fewer siblings on a node scores higher. */
export const workloadSpread: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  cacheable: true,
  score: (pod, node) => {
    const siblings = node.usage.owners.get(pod.spreadKey) ?? 0;
    return Math.round(100 / (1 + siblings));
  },
};

/** Prefers nodes that already hold the pod's component (no download, no transpile). */
export const imageLocality: ScorePlugin = {
  name: 'ImageLocality',
  weight: 1,
  cacheable: true,
  score: ({ pod }, { images }) => {
    let have = 0;
    for (const c of pod.spec.containers) if (images.has(c.image)) have++;
    return Math.round((have / pod.spec.containers.length) * 100);
  },
};

export const DEFAULT_FILTERS: readonly FilterPlugin[] = [
  nodeReady,
  nodeUnschedulable,
  runtimeSupported,
  imageArchitecture,
  nodeSelector,
  taintToleration,
  resourcesFit,
];
export const DEFAULT_SCORES: readonly ScorePlugin[] = [leastAllocated, workloadSpread, imageLocality];

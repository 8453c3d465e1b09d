/**
 * The node gateway protocol: msgpackr-encoded frames over one WebSocket per node, validated with zod
 * right after decoding. Messages are discriminated on `type` and split by direction. The protocol is
 * level-triggered: on (re)connect the hub sends the node's whole desired set (`podSync`,
 * `serviceSync`), then changes; the node answers with the observed status of each pod. A missed
 * message is healed by the next full sync.
 */
import { z } from 'zod';
import { Quantity } from './meta.js';
import { Pod, PodStatus } from './pod.js';

/** Bumped on any incompatible change of the messages below. */
export const PROTOCOL_VERSION = 1;

/** URL path of the node gateway WebSocket on the hub. */
export const GATEWAY_PATH = '/apis/edgeplane.io/v1/connect';

/** Header naming the target pod of a request forwarded node-to-node over the mesh (`namespace/name`). */
export const MESH_TARGET_HEADER = 'x-edgeplane-target-pod';
/** Header carrying the service port (name or number) a mesh request was sent to. */
export const MESH_PORT_HEADER = 'x-edgeplane-target-port';

const PodRef = z.strictObject({ namespace: z.string(), name: z.string(), uid: z.string() });
export type PodRef = z.infer<typeof PodRef>;

/** What a node tells the hub about itself when it connects. */
export const NodeInfo = z.strictObject({
  name: z.string().min(1),
  labels: z.record(z.string(), z.string()),
  /** The address the node serves NodePorts and the mesh on. */
  address: z.string(),
  meshPort: z.number().int().min(1).max(65535),
  arch: z.string(),
  os: z.string(),
  runtimes: z.array(z.string()),
  capacity: z.strictObject({ cpu: Quantity, memory: Quantity, pods: Quantity }),
  agentVersion: z.string(),
  kernelVersion: z.string().optional(),
  osImage: z.string().optional(),
  /** Image references cached on the node. */
  images: z.array(z.string()).optional(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

/** A Service as a node's proxy needs it: ports plus the endpoints the hub resolved. */
export const ServiceRoute = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  type: z.enum(['ClusterIP', 'NodePort']),
  sessionAffinity: z.enum(['None', 'ClientIP']),
  ports: z.array(
    z.strictObject({
      name: z.string().optional(),
      port: z.number().int(),
      targetPort: z.union([z.number().int(), z.string()]),
      nodePort: z.number().int().optional(),
    }),
  ),
  endpoints: z.array(
    z.strictObject({
      pod: PodRef,
      nodeName: z.string(),
      /** The hosting node's address and mesh port. */
      address: z.string(),
      meshPort: z.number().int(),
      zone: z.string().optional(),
      ready: z.boolean(),
    }),
  ),
});
export type ServiceRoute = z.infer<typeof ServiceRoute>;

// ---- node → hub -------------------------------------------------------------------------------

export const NodeHello = z.strictObject({ type: z.literal('hello'), protocol: z.number().int(), node: NodeInfo });
export const NodeHeartbeat = z.strictObject({ type: z.literal('heartbeat'), time: z.string() });
/** Observed status of pods; `images` refreshes the node's image cache list when present. */
export const NodePodStatus = z.strictObject({
  type: z.literal('podStatus'),
  pods: z.array(z.strictObject({ pod: PodRef, status: PodStatus })),
});
/** The node has stopped these (deleting) pods and released everything: the hub may forget them. */
export const NodePodGone = z.strictObject({ type: z.literal('podGone'), pods: z.array(PodRef) });
/** Part of the answer to a `logRequest`; `done` ends it, `error` ends it with a failure. */
export const NodeLogChunk = z.strictObject({
  type: z.literal('logChunk'),
  requestId: z.string(),
  data: z.string(),
  done: z.boolean().optional(),
  error: z.string().optional(),
});
export const NodeError = z.strictObject({ type: z.literal('error'), message: z.string() });
/** Something the node did or saw about a pod (Pulled, Started, Killing, BackOff, …), recorded by the hub as an Event. */
export const NodeEvent = z.strictObject({
  type: z.literal('event'),
  pod: PodRef,
  eventType: z.enum(['Normal', 'Warning']),
  reason: z.string().min(1).max(128),
  message: z.string().max(4096),
});

/** The answer to an `execRequest`. */
export const NodeExecResult = z.strictObject({
  type: z.literal('execResult'),
  requestId: z.string(),
  exitCode: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  /** Set when the command could not be run at all (no such pod or container, runtime without exec, timeout). */
  error: z.string().optional(),
});

export const NodeToHub = z.discriminatedUnion('type', [NodeHello, NodeHeartbeat, NodePodStatus, NodePodGone, NodeLogChunk, NodeError, NodeEvent, NodeExecResult]);
export type NodeToHub = z.infer<typeof NodeToHub>;

// ---- hub → node -------------------------------------------------------------------------------

export const HubWelcome = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  nodeName: z.string(),
  heartbeatIntervalSeconds: z.number(),
  /** Shared secret nodes present to each other on the mesh port. */
  meshToken: z.string(),
});
/** The node's whole desired pod set: anything not listed must not run. */
export const HubPodSync = z.strictObject({ type: z.literal('podSync'), pods: z.array(Pod) });
/** One pod added or changed (a set `deletionTimestamp` means: stop it gracefully, then report `podGone`). */
export const HubPodUpsert = z.strictObject({ type: z.literal('podUpsert'), pod: Pod });
/** One pod removed from the desired set: stop it now. */
export const HubPodDelete = z.strictObject({ type: z.literal('podDelete'), pod: PodRef });
/** The whole set of Services with their endpoints. */
export const HubServiceSync = z.strictObject({ type: z.literal('serviceSync'), services: z.array(ServiceRoute) });
export const HubLogRequest = z.strictObject({
  type: z.literal('logRequest'),
  requestId: z.string(),
  pod: z.strictObject({ namespace: z.string(), name: z.string() }),
  container: z.string().optional(),
  tailLines: z.number().int().optional(),
  follow: z.boolean().optional(),
  previous: z.boolean().optional(),
  timestamps: z.boolean().optional(),
});
export const HubLogCancel = z.strictObject({ type: z.literal('logCancel'), requestId: z.string() });
/** Runs a command in a pod's container (non-interactive: no stdin, no tty); answered by `execResult`. */
export const HubExecRequest = z.strictObject({
  type: z.literal('execRequest'),
  requestId: z.string(),
  pod: z.strictObject({ namespace: z.string(), name: z.string() }),
  container: z.string().optional(),
  command: z.array(z.string()).min(1),
  timeoutSeconds: z.number().positive(),
});
export const HubError = z.strictObject({ type: z.literal('error'), message: z.string(), fatal: z.boolean().optional() });

export const HubToNode = z.discriminatedUnion('type', [HubWelcome, HubPodSync, HubPodUpsert, HubPodDelete, HubServiceSync, HubLogRequest, HubLogCancel, HubExecRequest, HubError]);
export type HubToNode = z.infer<typeof HubToNode>;

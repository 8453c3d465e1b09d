/**
 * The node gateway protocol: msgpackr-encoded frames over one WebSocket per node, validated with zod
 * right after decoding. Messages are discriminated on `type` and split by direction. The protocol is
 * level-triggered: on (re)connect the hub sends the node's whole desired set (`podSync`, or to a
 * protocol-9 node that offers its position the changes since, `podResume`; and `serviceSet` or, to a
 * protocol-1 node, `serviceSync`), then changes; the node answers with the observed status of each
 * pod. A missed message is healed by the next full sync; a missed Service delta is noticed by its
 * revision and healed by a `resync`, a resumed pod set that is not the hub's by a `podResync`.
 */
import { z } from 'zod';
import { Quantity } from './meta.js';
import { Pod, PodStatus } from './pod.js';
import { HubConfigDelete, HubConfigSync, HubConfigUpsert } from './wire-config.js';
import { HubMetricsRequest, NodeMetricsResult, NodeServiceWake, NodeUsage } from './wire-metrics.js';
import {
  HubPortOpen,
  HubStreamAck,
  HubStreamCancel,
  HubStreamClose,
  HubStreamInput,
  HubStreamOpen,
  HubAttachOpen,
  HubStreamResize,
  NodeStreamAck,
  NodeStreamExit,
  NodeStreamOutput,
} from './wire-stream.js';
import { HubRevokedKeys } from './wire-trust.js';
import { HubList } from './wire-hubs.js';
import { NodeImageList, NodeImages } from './wire-images.js';
import { NAME_MAX, Name, PodRef, Str } from './wire-shapes.js';
import { HubServiceDelta, HubServiceSet, HubServiceSync } from './wire-services.js';
import { HubPodResume, NodePodResync, PodHash, PodPosition } from './wire-pod-resume.js';
import { HubHeartbeatPace } from './wire-heartbeat.js';

/**
 * Bumped on any incompatible change of the messages below. Version 2 adds Service deltas
 * (`serviceSet`, `serviceDelta`, `resync`), resumption (`hello.resume`) and the hub's `Busy` refusal
 * with `retryAfterMs`. Version 3 adds the metrics frames of `wire-metrics.ts` (`usage`, `serviceWake`,
 * `metricsRequest`/`metricsResult`) and the revoked node keys of `wire-trust.ts` (`revokedKeys`).
 * Version 4 adds the interactive command streams of `wire-stream.ts` (`streamOpen` … `streamExit`).
 * Version 5 adds port-forward streams (`portOpen` in `wire-stream.ts`).
 * Version 6 adds the node's image list after `hello` (`images` in `wire-images.ts`).
 * Version 7 adds the cluster's hub list (`hubs` in `wire-hubs.ts`).
 * Version 8 adds attach streams (`attachOpen` in `wire-stream.ts`: kubectl `attach -i/-t`).
 * Version 9 adds pod-set resumption (`wire-pod-resume.ts`): pods stamped with hashes
 * (`podSync.hashes`, `podUpsert.hash`), the node's position in `hello.pods`, `podResume`, `podResync`.
 * Version 10 adds terminating endpoints to Service routes (`RouteEndpoint.serving`/`terminating`).
 * Version 11 adds the hub's re-pacing of heartbeats (`heartbeatPace` in `wire-heartbeat.ts`).
 * The hub still admits nodes speaking `MIN_PROTOCOL_VERSION`: they are sent only version-1 messages
 * (the whole `serviceSync` on every change), and the `welcome` names the version the session speaks.
 * A node never speaks a newer version than its hub, which refuses it: upgrade the hub first.
 */
export const PROTOCOL_VERSION = 11;
/** Oldest protocol version the hub still serves. */
export const MIN_PROTOCOL_VERSION = 1;

/** URL path of the node gateway WebSocket on the hub. */
export const GATEWAY_PATH = '/apis/edgeplane.io/v1/connect';

/**
 * Largest frame a node may send the hub (WebSocket `maxPayload` on the hub). A node splits its
 * `podStatus` reports into frames of at most `MAX_STATUS_PODS_PER_FRAME` pods to stay well below it.
 */
export const MAX_NODE_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest frame the hub may send a node (`maxPayload` on the node): a `podSync` of thousands of pods. */
export const MAX_HUB_FRAME_BYTES = 32 * 1024 * 1024;
/** Values a frame from the hub may hold (a node's frames get the codec's default, 2048). */
export const MAX_HUB_FRAME_VALUES = 4_000_000;
/** Pods in one `podStatus`/`podGone` frame the node sends: about 100 values each, inside 2048. */
export const MAX_STATUS_PODS_PER_FRAME = 10;
/** Pods a node's desired set may hold (`podSync`, all its parts together). */
export const MAX_SYNC_PODS = 5000;

// Bounds of the wire schemas (names: `wire-shapes.ts`): messages 64 KiB, log chunks 1 MiB (the node
// sends 256 KiB), exec output 1 MiB per stream as the runtimes cap it.
const MESSAGE_MAX = 64 * 1024;
const LOG_CHUNK_MAX = 1024 * 1024;
const EXEC_OUTPUT_MAX = 1024 * 1024 + 1024;
const MAX_STATUS_PODS = 200;
/** Longest a hub asks a node to wait before redialing (`Busy`). */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
const MAX_LABELS = 256;

const REQUEST_ID_MAX = 64;

const Message = z.string().max(MESSAGE_MAX);
/** A label map (keys up to a prefix and name, values 63 per Kubernetes, a little slack). */
const Labels = z
  .record(z.string().max(NAME_MAX + 64), z.string().max(NAME_MAX))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, { message: `at most ${MAX_LABELS} labels` });

export type PodRef = z.infer<typeof PodRef>;

/** What a node tells the hub about itself when it connects. */
export const NodeInfo = z.strictObject({
  name: Name.min(1),
  labels: Labels,
  /** The address the node serves NodePorts and the mesh on. */
  address: Str,
  meshPort: z.number().int().min(1).max(65535),
  arch: Str,
  os: Str,
  runtimes: z.array(Str).max(16),
  capacity: z.strictObject({ cpu: Quantity, memory: Quantity, pods: Quantity }),
  agentVersion: Str,
  kernelVersion: Str.optional(),
  osImage: Str.optional(),
  /** Image references cached on the node. */
  images: NodeImageList.optional(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

/**
 * A random id per agent process, sent in `hello`: a reconnect of the same process (after a network
 * blip) replaces its stale session at once, while another process using the same node name is refused
 * as long as the first still answers (a copied data dir or cloned SD card).
 */
export const InstanceId = z.string().min(8).max(64);

// ---- node → hub -------------------------------------------------------------------------------

export const NodeHello = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  node: NodeInfo,
  instanceId: InstanceId.optional(),
  /**
   * Protocol 2: the Service stream position this agent holds (the hub's `epoch` and the highest
   * revision it applied). The same hub process then sends only the Services changed since, and names
   * the rest as `keep`; another hub process (a restart) sends the whole set.
   */
  resume: z.strictObject({ epoch: Str, revision: z.number().int().nonnegative() }).optional(),
  /**
   * Protocol 9: the pods this agent holds from its last session, as `uid:hash` pairs (the hashes the
   * hub stamped them with): any hub then sends only what changed (`podResume`).
   */
  pods: PodPosition.optional(),
});
export const NodeHeartbeat = z.strictObject({ type: z.literal('heartbeat'), time: z.string().max(64) });
/** Observed status of pods; `images` refreshes the node's image cache list when present. */
export const NodePodStatus = z.strictObject({
  type: z.literal('podStatus'),
  pods: z.array(z.strictObject({ pod: PodRef, status: PodStatus })).max(MAX_STATUS_PODS),
});
/** The node has stopped these (deleting) pods and released everything: the hub may forget them. */
export const NodePodGone = z.strictObject({ type: z.literal('podGone'), pods: z.array(PodRef).max(MAX_STATUS_PODS) });
/** Part of the answer to a `logRequest`; `done` ends it, `error` ends it with a failure. */
export const NodeLogChunk = z.strictObject({
  type: z.literal('logChunk'),
  requestId: z.string().max(REQUEST_ID_MAX),
  data: z.string().max(LOG_CHUNK_MAX),
  done: z.boolean().optional(),
  error: Message.optional(),
});
export const NodeError = z.strictObject({ type: z.literal('error'), message: Message });
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
  requestId: z.string().max(REQUEST_ID_MAX),
  exitCode: z.number().int().optional(),
  stdout: z.string().max(EXEC_OUTPUT_MAX).optional(),
  stderr: z.string().max(EXEC_OUTPUT_MAX).optional(),
  /** Set when the command could not be run at all (no such pod or container, runtime without exec, timeout). */
  error: Message.optional(),
});

/**
 * Protocol 2: the node's Service set is not what the hub's stream says (a delta skipped a revision,
 * or a `keep` named a Service it does not hold): the hub answers with a whole `serviceSet`.
 */
export const NodeResync = z.strictObject({ type: z.literal('resync'), reason: Message });

export const NodeToHub = z.discriminatedUnion('type', [
  NodeHello,
  NodeResync,
  NodeHeartbeat,
  NodePodStatus,
  NodePodGone,
  NodeLogChunk,
  NodeError,
  NodeEvent,
  NodeExecResult,
  NodeUsage,
  NodeServiceWake,
  NodeMetricsResult,
  NodeImages,
  NodeStreamOutput,
  NodeStreamAck,
  NodeStreamExit,
  NodePodResync,
]);
export type NodeToHub = z.infer<typeof NodeToHub>;

// ---- hub → node -------------------------------------------------------------------------------

export const HubWelcome = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  nodeName: Name,
  heartbeatIntervalSeconds: z.number().positive().max(3600),
  /**
   * Shared secret nodes present to each other on the mesh port: sent only by a plain-HTTP hub
   * (`--insecure-http`); over TLS the nodes' certificates are their mesh credentials.
   */
  meshToken: z.string().max(1024).optional(),
});
/**
 * The node's whole desired pod set: anything not listed must not run. A set too big for one frame is
 * split: every part but the last says `more: true`, and the node applies the set once the last part
 * arrives (the hub sends the parts back to back). Only a set that would not fit one frame is split, so
 * an older node, which refuses `more`, still gets every set it could take.
 */
export const HubPodSync = z.strictObject({
  type: z.literal('podSync'),
  pods: z.array(Pod).max(MAX_SYNC_PODS),
  more: z.boolean().optional(),
  /** Protocol 9: the hash of each pod of this part, in order (`wire-pod-resume.ts`). */
  hashes: z.array(PodHash).max(MAX_SYNC_PODS).optional(),
});
/** One pod added or changed (a set `deletionTimestamp` means: stop it gracefully, then report `podGone`). */
export const HubPodUpsert = z.strictObject({
  type: z.literal('podUpsert'),
  pod: Pod,
  /** Protocol 9: the pod's hash (`wire-pod-resume.ts`). */
  hash: PodHash.optional(),
});
/** One pod removed from the desired set: stop it now. */
export const HubPodDelete = z.strictObject({ type: z.literal('podDelete'), pod: PodRef });
export const HubLogRequest = z.strictObject({
  type: z.literal('logRequest'),
  requestId: z.string().max(REQUEST_ID_MAX),
  pod: z.strictObject({ namespace: Name, name: Name }),
  container: Name.optional(),
  tailLines: z.number().int().optional(),
  follow: z.boolean().optional(),
  previous: z.boolean().optional(),
  timestamps: z.boolean().optional(),
});
export const HubLogCancel = z.strictObject({ type: z.literal('logCancel'), requestId: z.string().max(REQUEST_ID_MAX) });
/** Runs a command in a pod's container (non-interactive: no stdin, no tty); answered by `execResult`. */
export const HubExecRequest = z.strictObject({
  type: z.literal('execRequest'),
  requestId: z.string().max(REQUEST_ID_MAX),
  pod: z.strictObject({ namespace: Name, name: Name }),
  container: Name.optional(),
  command: z.array(z.string().max(MESSAGE_MAX)).min(1).max(1024),
  timeoutSeconds: z.number().positive(),
});
/**
 * Why the hub ends a session, for the node to act on (`DuplicateNode`: another agent holds this name;
 * do not retry. `Busy`: too many nodes are being admitted; redial after `retryAfterMs`).
 */
export const HubErrorReason = z.enum(['DuplicateNode', 'NodeRevoked', 'Busy']);
export type HubErrorReason = z.infer<typeof HubErrorReason>;
export const HubError = z.strictObject({
  type: z.literal('error'),
  message: Message,
  fatal: z.boolean().optional(),
  reason: HubErrorReason.optional(),
  /** With `Busy` (protocol 2): the hub admits too many nodes at once; redial after about this long. */
  retryAfterMs: z.number().int().nonnegative().max(MAX_RETRY_AFTER_MS).optional(),
});

export const HubToNode = z.discriminatedUnion('type', [
  HubWelcome,
  HubPodSync,
  HubPodUpsert,
  HubPodDelete,
  HubPodResume,
  HubServiceSync,
  HubConfigSync,
  HubConfigUpsert,
  HubConfigDelete,
  HubServiceSet,
  HubServiceDelta,
  HubLogRequest,
  HubLogCancel,
  HubExecRequest,
  HubMetricsRequest,
  HubRevokedKeys,
  HubList,
  HubHeartbeatPace,
  HubStreamOpen,
  HubPortOpen,
  HubAttachOpen,
  HubStreamInput,
  HubStreamResize,
  HubStreamClose,
  HubStreamCancel,
  HubStreamAck,
  HubError,
]);
export type HubToNode = z.infer<typeof HubToNode>;

/** The hub frames a hollow node reads: the envelope every frame is first read as, and what each type does. */
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { HubHeartbeatPace, HubPodDelete, HubPodSync, HubPodUpsert, HubWelcome } from '../../src/api/index.js';
import type { HollowNode } from './hollow-node.js';

/** Any frame: its type is read, the rest is left to the handler that knows it. */
export const Envelope = z.looseObject({ type: z.string().max(64) });
export type Envelope = z.infer<typeof Envelope>;

/** Handlers of the hub frames a hollow node acts on; others are only counted. */
export const HANDLERS: Record<string, (node: HollowNode, ws: WebSocket, msg: Envelope) => void> = {
  welcome: (node, ws, msg) => node.welcomed(ws, HubWelcome.parse(msg).heartbeatIntervalSeconds),
  heartbeatPace: (node, ws, msg) => node.repaced(ws, HubHeartbeatPace.parse(msg).heartbeatIntervalSeconds),
  podSync: (node, _ws, msg) => node.pods.sync(HubPodSync.parse(msg)),
  podUpsert: (node, _ws, msg) => node.pods.upsert(HubPodUpsert.parse(msg).pod),
  podDelete: (node, _ws, msg) => node.pods.remove(HubPodDelete.parse(msg).pod.uid),
  // The endpoints are not used by a hollow node (no proxy); their frames and bytes are what is measured.
  serviceSync: () => undefined,
  // Protocol 2: the node's Service set, then per-Service deltas: revisions are followed as the agent
  // follows them (a gap asks for a resync; a reconnect offers the position reached), routes are not kept.
  serviceSet: (node, ws, msg) => node.serviceFrame(ws, node.services.set(msg)),
  serviceDelta: (node, ws, msg) => node.serviceFrame(ws, node.services.delta(msg)),
  logRequest: (node, _ws, msg) =>
    node.send({ type: 'logChunk', requestId: String(msg.requestId), data: '', done: true, error: 'hollow node' }),
  execRequest: (node, _ws, msg) =>
    node.send({ type: 'execResult', requestId: String(msg.requestId), error: 'a hollow node runs nothing' }),
  error: (node, _ws, msg) => node.hubError(msg),
};

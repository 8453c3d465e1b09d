/**
 * Frames from the hub, read into the messages the agent handles: a frame that does not decode is
 * answered with an `error` frame and otherwise ignored (a hub that keeps sending them is redialed); a
 * pod set split into several `podSync` frames is gathered and handed on as one; a `podResume` is applied
 * to the pods held (`pod-position.ts`) and handed on as one whole `podSync` (or, when the set it makes
 * is not the hub's, answered with a `podResync`); the Service stream's `serviceSet`/`serviceDelta`s
 * are applied (`node-services.ts`) and handed on as one whole `serviceSync`, and a delta that skips a
 * revision asks the hub for a `resync`.
 */
import type { RawData } from 'ws';
import { WebSocket } from 'ws';
import {
  HubToNode,
  MAX_HUB_FRAME_VALUES,
  MAX_NODE_IMAGES,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorMessage,
} from '../../api/index.js';
import type { Logger, NodeInfo, NodeToHub } from '../../api/index.js';
import type { NodeServices } from './node-services.js';
import { PodPosition } from './pod-position.js';
import { PodSyncParts } from './pod-sync-parts.js';

/** Invalid frames from the hub tolerated within a minute before the connection is redialed. */
const MAX_BAD_FRAMES = 10;

/** This node's `hello`: its facts, this process's id, and the Service stream and pod set positions it holds. */
export function helloMessage(
  node: NodeInfo,
  instanceId: string,
  resume: { epoch: string; revision: number } | undefined,
  pods?: string,
): NodeToHub {
  // The hub takes a bounded image list; the first ones are as good a hint for scheduling as any.
  if (node.images && node.images.length > MAX_NODE_IMAGES) node.images = node.images.slice(0, MAX_NODE_IMAGES);
  const position = pods !== undefined ? { pods } : {};
  return { type: 'hello', protocol: PROTOCOL_VERSION, node, instanceId, ...(resume ? { resume } : {}), ...position };
}

/** Reads the hub's frames on the session's connections. */
export class HubFrameReader {
  private badFrames: number[] = [];
  private readonly syncParts = new PodSyncParts<WebSocket>();
  /**
   * `services` holds the Service stream this node was given (its resume point is offered on redial);
   * `podPosition` the pods it was sent, with their hashes (offered as its position on redial).
   */
  constructor(
    private readonly services: NodeServices,
    private readonly logger: Logger,
    readonly podPosition: PodPosition = new PodPosition(),
  ) {}

  /** The message a frame that came on `ws` completes, if any (answers or redials `ws` as needed). */
  read(ws: WebSocket, data: RawData): HubToNode | undefined {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let msg: HubToNode;
    try {
      msg = decodeFrame(HubToNode, bytes, { maxValues: MAX_HUB_FRAME_VALUES });
    } catch (err) {
      this.badFrame(ws, err);
      return undefined;
    }
    if (msg.type === 'podSync') {
      const gathered = this.syncParts.add(ws, msg);
      if (gathered.kind === 'overflow') {
        this.logger.warn(gathered.message);
        reply(ws, { type: 'error', message: gathered.message });
      }
      if (gathered.kind !== 'whole') return undefined;
      this.podPosition.synced(gathered.sync);
      return gathered.sync;
    }
    if (msg.type === 'podResume') {
      const resumed = this.podPosition.resume(msg);
      if (resumed.kind === 'whole') return resumed.sync;
      this.logger.warn({ reason: resumed.reason }, 'resumed pod set is not the hub’s; asking for the whole set');
      reply(ws, { type: 'podResync', reason: resumed.reason });
      return undefined;
    }
    if (msg.type === 'podUpsert') this.podPosition.upserted(msg.pod, msg.hash);
    if (msg.type === 'podDelete') this.podPosition.deleted(msg.pod);
    if (msg.type === 'welcome') this.podPosition.welcomed(msg.protocol);
    if (msg.type === 'serviceSet' || msg.type === 'serviceDelta') {
      const applied = msg.type === 'serviceSet' ? this.services.applySet(msg) : this.services.applyDelta(msg);
      if (applied.kind === 'resync') {
        this.logger.warn({ reason: applied.reason }, 'Service stream out of step; asking the hub for the whole set');
        reply(ws, { type: 'resync', reason: applied.reason });
      }
      if (applied.kind !== 'changed') return undefined;
      return { type: 'serviceSync', services: applied.services };
    }
    return msg;
  }

  private badFrame(ws: WebSocket, err: unknown): void {
    const now = Date.now();
    this.badFrames = this.badFrames.filter((t) => now - t < 60_000);
    this.badFrames.push(now);
    if (this.badFrames.length > MAX_BAD_FRAMES) {
      this.logger.warn({ count: this.badFrames.length }, 'hub keeps sending invalid frames; reconnecting');
      this.badFrames = [];
      ws.terminate();
      return;
    }
    this.logger.warn({ err: errorMessage(err) }, 'bad frame from hub');
    reply(ws, { type: 'error', message: errorMessage(err) });
  }
}

/** Sends `msg` on `ws` when it is open (these replies skip the session's welcomed check). */
function reply(ws: WebSocket, msg: NodeToHub): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(msg));
}

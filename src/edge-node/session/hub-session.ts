/**
 * The node's session with the hub: dials `ws(s)://<hub>/…/connect` with the join token, says `hello`,
 * heartbeats at the interval the hub's `welcome` names, and redials with exponential back-off and
 * jitter when the socket drops. Frames are msgpackr + zod (`encodeFrame`/`decodeFrame`); a frame that
 * does not decode is answered with an `error` frame and otherwise ignored (a hub that keeps sending
 * them is redialed). Frames from the hub are bounded by `MAX_HUB_FRAME_BYTES`; this node's own
 * `podStatus`/`podGone` reports are split to stay far below the hub's bound. A pod set the hub had to
 * split into several `podSync` frames is gathered here and handed on as one.
 *
 * Services (protocol 2): the hub's `serviceSet` and `serviceDelta`s are applied here
 * (`node-services.ts`) and handed on as one whole `serviceSync`, so the agent sees one shape; a delta
 * that skips a revision makes the session ask for a `resync`, and a redial offers the revision
 * reached so the same hub resends only what changed. A hub that is busy admitting (`Busy`) names
 * when to come back; a drop of a welcomed connection is redialed after a random spread; the hub is
 * declared gone only after several silent heartbeat intervals, not one late pong.
 *
 * `hello` carries a random id of this agent process: after a network blip the hub lets the same
 * process straight back in, while a second process using the same node name (a copied data dir) is
 * refused with reason `DuplicateNode`; the session then stops redialing and reports `refused`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import {
  HubToNode,
  MAX_HUB_FRAME_BYTES,
  MAX_HUB_FRAME_VALUES,
  MAX_NODE_IMAGES,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorMessage,
} from '../../api/index.js';
import type { NodeToHub } from '../../api/index.js';
import { Backoff } from '../backoff.js';
import {
  CLOSE_DUPLICATE_NODE,
  CLOSE_NODE_REVOKED,
  DEFAULT_BACKOFF,
  gatewayUrl,
  type HubSessionDeps,
  type SessionBackoff,
  type Welcome,
} from './hub-session-deps.js';
import { NodeServices } from './node-services.js';
import { PodSyncParts } from './pod-sync-parts.js';
import { reportFrames } from './report-frames.js';

export {
  CLOSE_DUPLICATE_NODE,
  gatewayUrl,
  type HubSessionDeps,
  type SessionBackoff,
  type SessionEvent,
  type Welcome,
} from './hub-session-deps.js';

/** Invalid frames from the hub tolerated within a minute before the connection is redialed. */
const MAX_BAD_FRAMES = 10;
/** Bytes queued towards the hub beyond which it counts as not reading (the connection is redialed). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** A self-healing WebSocket session with the hub. */
export class HubSession {
  private readonly deps: HubSessionDeps;
  private readonly tuning: SessionBackoff;
  private readonly backoff: Backoff;
  private readonly url: string;
  private ws: WebSocket | undefined;
  private stopped = true;
  private welcomed = false;
  private redialTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private unauthorized = false;
  /** Dials failed in a row: the first is a warning, the rest of an outage is debug noise. */
  private failedDials = 0;
  /** Serializes message handling: a podSync is fully applied before the serviceSync after it. */
  private inbox: Promise<void> = Promise.resolve();
  /** This agent process's id in `hello`. */
  readonly instanceId = randomUUID();
  private refused = false;
  private badFrames: number[] = [];
  private readonly syncParts = new PodSyncParts<WebSocket>();
  /** The Services the hub's stream gave this node (handed on as a whole `serviceSync` on each change). */
  private readonly services = new NodeServices();
  /** Consecutive heartbeat intervals without a pong or any frame from the hub. */
  private silentIntervals = 0;
  private lastBeat = 0;
  /** A delay the hub asked for (`Busy`), used for the next redial instead of the back-off. */
  private retryAfterMs: number | undefined;

  constructor(deps: HubSessionDeps) {
    this.deps = deps;
    this.tuning = { ...DEFAULT_BACKOFF, ...deps.backoff };
    this.backoff = new Backoff({ initialMs: this.tuning.initialMs, maxMs: this.tuning.maxMs, jitter: 1 });
    this.url = gatewayUrl(deps.hubUrl);
  }

  /** True once the hub has welcomed the current connection. */
  get connected(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Starts dialing (returns at once; the session keeps itself up until `stop`). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.dial();
  }

  /** Sends one message; false when there is no open, welcomed connection. */
  send(msg: NodeToHub): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || (!this.welcomed && msg.type !== 'hello')) return false;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // The hub is not reading: redial (the next connection gets a full sync and a full status report).
      this.deps.logger.warn({ bufferedBytes: ws.bufferedAmount }, 'hub is not reading our frames; reconnecting');
      ws.terminate();
      return false;
    }
    if (msg.type === 'podStatus' || msg.type === 'podGone') {
      for (const frame of reportFrames(msg)) ws.send(frame);
      return true;
    }
    ws.send(encodeFrame(msg));
    return true;
  }

  /** Closes the socket cleanly and stops redialing. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'node agent stopping');
    });
    await this.inbox;
  }

  private dial(): void {
    if (this.stopped) return;
    const log = this.deps.logger;
    this.unauthorized = false;
    const token = this.deps.token;
    const ws = new WebSocket(this.url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      // The pinned hub CA only (not the system store): a certificate of another CA is refused.
      ...(this.deps.ca !== undefined ? { ca: this.deps.ca } : {}),
      // The node's own certificate (and the same pinned CA), current at this dial.
      ...this.deps.tls?.(),
      handshakeTimeout: 10_000,
      maxPayload: MAX_HUB_FRAME_BYTES,
      perMessageDeflate: false,
    });
    this.ws = ws;
    log.debug({ url: this.url }, 'dialing hub');
    ws.on('unexpected-response', (req, res: IncomingMessage) => this.onRejected(ws, req, res));
    ws.on('open', () => {
      log.info({ url: this.url }, 'connected to hub');
      const node = this.deps.nodeInfo();
      const resume = this.services.resumePoint();
      // The hub takes a bounded image list; the first ones are as good a hint for scheduling as any.
      if (node.images && node.images.length > MAX_NODE_IMAGES) node.images = node.images.slice(0, MAX_NODE_IMAGES);
      ws.send(
        encodeFrame({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          node,
          instanceId: this.instanceId,
          ...(resume ? { resume } : {}),
        } satisfies NodeToHub),
      );
    });
    ws.on('message', (data: RawData) => this.onFrame(ws, data));
    ws.on('pong', () => {
      this.silentIntervals = 0;
    });
    ws.on('error', (err) => {
      if (this.unauthorized) return; // already reported, with its cause
      if (this.failedDials === 0)
        log.warn({ err: err.message, url: this.url }, 'hub connection error (will keep redialing)');
      else log.debug({ err: err.message, url: this.url }, 'hub connection error');
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onRejected(ws: WebSocket, req: { destroy(): void }, res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 1024) body += chunk;
    });
    res.on('end', () => {
      const detail = body.trim().slice(0, 300);
      if (status === 401 || status === 403) {
        this.unauthorized = true;
        const what = this.deps.token === undefined ? 'this node’s certificate' : 'the join token';
        const message = `the hub refused ${what} (HTTP ${status})${detail ? `: ${detail}` : ''}`;
        this.deps.logger.error({ url: this.url, status }, message);
        this.deps.onEvent?.({ type: 'unauthorized', status, message });
      } else {
        this.deps.logger.warn({ url: this.url, status, body: detail }, 'hub refused the WebSocket upgrade');
      }
      req.destroy();
      ws.terminate();
    });
    res.on('error', () => ws.terminate());
  }

  private onFrame(ws: WebSocket, data: RawData): void {
    this.silentIntervals = 0; // any frame shows the hub is alive
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let msg: HubToNode;
    try {
      msg = decodeFrame(HubToNode, bytes, { maxValues: MAX_HUB_FRAME_VALUES });
    } catch (err) {
      const now = Date.now();
      this.badFrames = this.badFrames.filter((t) => now - t < 60_000);
      this.badFrames.push(now);
      if (this.badFrames.length > MAX_BAD_FRAMES) {
        this.deps.logger.warn({ count: this.badFrames.length }, 'hub keeps sending invalid frames; reconnecting');
        this.badFrames = [];
        ws.terminate();
        return;
      }
      this.deps.logger.warn({ err: errorMessage(err) }, 'bad frame from hub');
      if (ws.readyState === WebSocket.OPEN)
        ws.send(encodeFrame({ type: 'error', message: errorMessage(err) } satisfies NodeToHub));
      return;
    }
    if (msg.type === 'podSync') {
      const gathered = this.syncParts.add(ws, msg);
      if (gathered.kind === 'overflow') {
        this.deps.logger.warn(gathered.message);
        if (ws.readyState === WebSocket.OPEN)
          ws.send(encodeFrame({ type: 'error', message: gathered.message } satisfies NodeToHub));
      }
      if (gathered.kind !== 'whole') return;
      msg = gathered.sync;
    }
    if (msg.type === 'serviceSet' || msg.type === 'serviceDelta') {
      const applied = msg.type === 'serviceSet' ? this.services.applySet(msg) : this.services.applyDelta(msg);
      if (applied.kind === 'resync') {
        this.deps.logger.warn(
          { reason: applied.reason },
          'Service stream out of step; asking the hub for the whole set',
        );
        if (ws.readyState === WebSocket.OPEN)
          ws.send(encodeFrame({ type: 'resync', reason: applied.reason } satisfies NodeToHub));
      }
      if (applied.kind !== 'changed') return;
      msg = { type: 'serviceSync', services: applied.services };
    }
    if (msg.type === 'welcome') this.onWelcome(ws, msg);
    if (msg.type === 'error') {
      const busy = msg.reason === 'Busy';
      if (busy) this.retryAfterMs = msg.retryAfterMs;
      if (busy) this.deps.logger.info({ retryAfterMs: msg.retryAfterMs }, `hub is busy: ${msg.message}`);
      else this.deps.logger.error({ fatal: msg.fatal ?? false, reason: msg.reason }, `hub error: ${msg.message}`);
      if (msg.fatal && msg.reason !== undefined && msg.reason !== 'Busy') this.onRefused(msg.reason, msg.message);
      if (msg.fatal) ws.close(1000, 'hub reported a fatal error');
    }
    this.inbox = this.inbox.then(async () => {
      if (this.ws !== ws) return; // a message of a dead connection
      try {
        await this.deps.onMessage(msg);
      } catch (err) {
        this.deps.logger.error({ type: msg.type, err: errorMessage(err) }, 'handling hub message failed');
        this.send({ type: 'error', message: `handling ${msg.type} failed: ${errorMessage(err)}` });
      }
    });
  }

  /** Another agent holds this node's name, or the node was deleted: stop redialing and say why, once. */
  private onRefused(reason: 'DuplicateNode' | 'NodeRevoked', message: string): void {
    if (this.refused) return;
    this.refused = true;
    this.stopped = true;
    this.clearTimers();
    this.deps.onEvent?.({ type: 'refused', reason, message });
  }

  private onWelcome(ws: WebSocket, welcome: Welcome): void {
    if (welcome.protocol !== PROTOCOL_VERSION) {
      this.deps.logger.error({ hub: welcome.protocol, node: PROTOCOL_VERSION }, 'hub speaks another protocol version');
    }
    this.welcomed = true;
    this.failedDials = 0;
    this.clearTimers();
    const intervalMs = Math.max(100, welcome.heartbeatIntervalSeconds * 1000);
    this.silentIntervals = 0;
    this.lastBeat = Date.now();
    this.heartbeatTimer = setInterval(() => this.heartbeat(ws, intervalMs), intervalMs);
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.tuning.stableMs);
    this.deps.onEvent?.({ type: 'connected', welcome });
  }

  private heartbeat(ws: WebSocket, intervalMs: number): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    // A timer that fires late means this process stalled: the silence it saw is its own, not the hub's.
    const stalled = now - this.lastBeat > 2 * intervalMs;
    this.lastBeat = now;
    if (!stalled) this.silentIntervals += 1;
    const allowed = this.tuning.missedPongs;
    if (this.silentIntervals > allowed) {
      // The hub can stall for a moment (a burst of writes); dead means silent for several intervals.
      this.deps.logger.warn(
        { intervals: this.silentIntervals - 1 },
        'hub answered no ping and sent nothing for several heartbeat intervals; reconnecting',
      );
      ws.terminate();
      return;
    }
    ws.ping();
    ws.send(encodeFrame({ type: 'heartbeat', time: new Date().toISOString() } satisfies NodeToHub));
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    this.clearTimers();
    if (wasWelcomed) {
      this.deps.logger.warn({ code, reason }, 'hub connection closed');
      this.deps.onEvent?.({ type: 'disconnected', reason: reason || `code ${code}` });
    }
    // The refusal's error frame normally comes first; the close code alone says the same.
    if (code === CLOSE_DUPLICATE_NODE)
      this.onRefused('DuplicateNode', reason || 'node name is already connected from another agent');
    if (code === CLOSE_NODE_REVOKED)
      this.onRefused('NodeRevoked', reason || 'the node was deleted; its credential is revoked');
    if (this.refused) return;
    if (!wasWelcomed) this.deps.onEvent?.({ type: 'unreachable', reason: reason || `code ${code}` });
    if (this.stopped) return;
    if (!wasWelcomed) this.failedDials += 1;
    const delay = this.redialDelay(wasWelcomed, code);
    this.deps.logger.debug({ delayMs: delay }, 'redialing hub');
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined;
      this.dial();
    }, delay);
  }

  /**
   * How long to wait before the next dial: what the hub asked for when busy, the long wait after a
   * refused credential, or the jittered back-off. The first redial after losing a welcomed connection
   * is spread at random over up to `spreadMs`, so a fleet that lost its hub at once does not come back
   * at once.
   */
  private redialDelay(wasWelcomed: boolean, code: number): number {
    if (this.unauthorized) return this.tuning.unauthorizedMs;
    const asked = this.retryAfterMs;
    this.retryAfterMs = undefined;
    const backoff = this.backoff.next();
    if (asked !== undefined) return Math.round(asked * (0.9 + 0.2 * Math.random()));
    // 1013 "try again later" from a hub that could not say how long: at least the spread.
    if (code === 1013) return Math.max(backoff, Math.round(Math.random() * this.tuning.spreadMs));
    if (wasWelcomed) return Math.round(Math.random() * Math.min(this.tuning.spreadMs, this.tuning.maxMs));
    return backoff;
  }

  private clearTimers(): void {
    for (const t of [this.redialTimer, this.stableTimer]) if (t) clearTimeout(t);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.redialTimer = this.stableTimer = this.heartbeatTimer = undefined;
  }
}

/**
 * One connected node: frames in and out over its WebSocket. Decoding and validation happen here, so a
 * garbage frame gets an `error` frame back naming what is wrong and never reaches the gateway logic.
 *
 * Nothing a node sends can grow the hub without bound:
 * - a peer that keeps sending frames that do not decode or validate is disconnected (close 1008,
 *   logged once with the node's name and the count, never the bytes);
 * - decoded messages wait in a short queue handled one at a time; past its high-water mark the
 *   socket is paused, so a fast sender is held back by TCP instead of by hub memory;
 * - frames to the node are not queued past `maxBufferedBytes`: a node that does not read is dropped
 *   (it redials and gets a full sync: the protocol is level-triggered, nothing is lost).
 */
import type { WebSocket } from 'ws';
import type { HubErrorReason, HubToNode, Logger, NodeToHub } from '../../api/index.js';
import type { FrameMeter } from '../metrics/index.js';
import {
  FrameError,
  NodeToHub as NodeToHubSchema,
  compiledSchema,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorMessage,
} from '../../api/index.js';

export interface NodeSessionHandlers {
  onMessage(session: NodeSession, msg: NodeToHub): Promise<void> | void;
  onClose(session: NodeSession): void;
}

/** Limits of one session (defaults suit a real node; tests shrink them). */
export interface NodeSessionLimits {
  pingIntervalMs: number;
  /**
   * Ping intervals a node may stay silent (no pong, no frame) before it is dropped: a node is not
   * dropped for one late pong, which a short stall of either side explains.
   */
  missedPings: number;
  /** Invalid frames tolerated within `badFrameWindowMs`; one more closes the session. */
  maxBadFrames: number;
  badFrameWindowMs: number;
  /** Decoded messages waiting to be handled before the socket is paused (resumed at a quarter). */
  maxQueuedMessages: number;
  /** Bytes queued towards the node beyond which it counts as not reading and is dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_SESSION_LIMITS: NodeSessionLimits = {
  pingIntervalMs: 10_000,
  missedPings: 3,
  maxBadFrames: 10,
  badFrameWindowMs: 60_000,
  maxQueuedMessages: 64,
  maxBufferedBytes: 64 * 1024 * 1024,
};

/** Close code for a session refused because another agent holds the node's name. */
export const CLOSE_DUPLICATE_NODE = 4409;

/** Close code for a session whose node credential was revoked (its Node deleted). */
export const CLOSE_NODE_REVOKED = 4410;

export class NodeSession {
  /** Set once the node's hello was accepted. */
  nodeName: string | undefined;
  /** True once a hello arrived (it may still be under check). */
  helloReceived = false;
  /** The agent process's random id from its hello (absent from older agents). */
  instanceId: string | undefined;
  /** The address the node reported in its hello. */
  reportedAddress: string | undefined;
  /** The node name of the client certificate this session authenticated with (absent: a token). */
  certifiedName: string | undefined;
  /** When the hub sent the node its welcome (and with it the whole pod set); undefined before. */
  welcomedAt: number | undefined;
  /** The protocol version this session speaks (the node's, from its hello). */
  protocol = PROTOCOL_VERSION;
  /** The Service stream position the node said it holds in its hello (protocol 2). */
  resume: { epoch: string; revision: number } | undefined;
  /** The pods the node said it holds in its hello, as `uid:hash` pairs (protocol 9). */
  podPosition: string | undefined;
  /**
   * The heartbeat interval the node was told (ms; 0 before its welcome). A node of a large fleet
   * beats more slowly than the ping interval (`heartbeat-pace.ts`): its silence is judged against it.
   */
  heartbeatMs = 0;
  /** Pings sent on the interval because the node was quiet (for tests and metrics). */
  pingsSent = 0;
  /** When the node was last heard from (a pong or any frame). */
  private lastHeard = Date.now();
  private lastTick = Date.now();
  private readonly pingTimer: NodeJS.Timeout;
  private closed = false;
  private closing = false;
  /** Incoming messages are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private badFrames: number[] = [];
  private readonly limits: NodeSessionLimits;
  private readonly pongWaiters = new Set<(answered: boolean) => void>();

  constructor(
    private readonly ws: WebSocket,
    private readonly handlers: NodeSessionHandlers,
    private readonly logger: Logger,
    limits: Partial<NodeSessionLimits> = {},
    /** The peer's IP address and port as the hub sees it. */
    readonly remoteAddress = 'unknown',
    /** Counts frames and bytes by type (the hub's /metrics). */
    private readonly meter?: FrameMeter,
  ) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => {
      this.lastHeard = Date.now();
      for (const w of this.pongWaiters) w(true);
      this.pongWaiters.clear();
    });
    ws.on('close', () => this.closedByPeer());
    ws.on('error', (err) =>
      logger.warn({ node: this.nodeName, remote: this.remoteAddress, err: err.message }, 'node socket error'),
    );
    // A half-open TCP connection never closes by itself: ping, and drop a peer silent for several intervals.
    // The check waits for the loop's next check phase: after a blocked stretch, the frames that came
    // meanwhile sit in the kernel and are read in the poll phase between the two. Judged at the timer
    // itself, a node beating on time was pinged as if silent (a 100-200 ms block was enough in tests).
    this.pingTimer = setInterval(() => setImmediate(() => this.checkAlive()), this.limits.pingIntervalMs);
    this.pingTimer.unref();
  }

  private checkAlive(): void {
    if (this.closed) return;
    const now = Date.now();
    const tick = this.limits.pingIntervalMs;
    // A node re-paced for a large fleet beats every `heartbeatMs`: quiet for less than one and a half of
    // those is not silence (its own ping comes every other beat, answered by the hub's pong).
    const interval = Math.max(tick, 1.5 * this.heartbeatMs);
    // A tick that comes late means the hub's own loop was blocked: pongs may sit unread. Start over.
    if (now - this.lastTick > 2 * tick) this.lastHeard = now;
    this.lastTick = now;
    if (now - this.lastHeard > this.limits.missedPings * interval) {
      this.logger.warn(
        { node: this.nodeName, silentMs: now - this.lastHeard },
        'node stopped answering pings; closing',
      );
      this.ws.terminate();
      return;
    }
    // A node heard from within the last interval (an agent's heartbeat frame comes every couple of
    // seconds) is alive: no ping. At 10,000 nodes the hub's own pings and their pongs were a share of
    // the idle hub's CPU (issue 14's profile); only a quiet peer is pinged now, and a silent one is
    // still dropped after `missedPings` intervals, as before.
    if (now - this.lastHeard < interval) return;
    this.pingsSent++;
    this.ws.ping();
  }

  /** Bytes sent and not yet handed to the network (the Service stream holds back above its mark). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** True until the socket closed or a close was started. */
  get open(): boolean {
    return !this.closed && !this.closing;
  }

  /** Sends one message; a node whose unread frames pass the cap is dropped instead of buffered. */
  send(msg: HubToNode): void {
    this.sendFrame(encodeFrame(msg));
  }

  /** Sends one already encoded (and bounds-checked) frame, under the same cap as `send`. */
  sendFrame(frame: Buffer): void {
    if (!this.open || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      const mib = Math.round(this.limits.maxBufferedBytes / 1048576);
      this.logger.warn(
        { node: this.nodeName, bufferedBytes: this.ws.bufferedAmount },
        `node is not reading its frames (over ${mib} MiB queued); closing`,
      );
      this.closing = true;
      this.ws.terminate();
      return;
    }
    this.ws.send(frame);
    this.meter?.sent(frame);
  }

  /** Sends a fatal error and closes. */
  fail(message: string, code = 1008, reason?: HubErrorReason, retryAfterMs?: number): void {
    this.send({
      type: 'error',
      message,
      fatal: true,
      ...(reason ? { reason } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    this.closing = true;
    this.ws.close(code, truncateUtf8(message, 120));
  }

  close(): void {
    this.closing = true;
    this.ws.close(1001, 'hub shutting down');
  }

  /** Pings the node: true when it answers within `timeoutMs` (a live agent's socket answers in milliseconds). */
  probe(timeoutMs: number): Promise<boolean> {
    if (!this.open || this.ws.readyState !== this.ws.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (answered: boolean): void => {
        clearTimeout(timer);
        this.pongWaiters.delete(done);
        resolve(answered);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.pongWaiters.add(done);
      this.ws.ping();
    });
  }

  /** Drops the connection at once (a dead session being replaced). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  /** Counts one protocol violation (a frame that does not decode or validate, or comes out of order). */
  violation(reason: string): void {
    if (!this.open) return;
    const now = Date.now();
    this.badFrames = this.badFrames.filter((t) => now - t < this.limits.badFrameWindowMs);
    this.badFrames.push(now);
    const count = this.badFrames.length;
    if (count > this.limits.maxBadFrames) {
      const seconds = Math.round(this.limits.badFrameWindowMs / 1000);
      this.logger.warn(
        { node: this.nodeName ?? '<before hello>', remote: this.remoteAddress, count },
        `disconnecting node: ${count} invalid frames within ${seconds} s`,
      );
      this.fail(`too many invalid frames (${count} within ${seconds} s); last: ${reason}`, 1008);
      return;
    }
    // The first of a burst says why; the rest are counted, not logged (a flood must not flood the log).
    if (count === 1)
      this.logger.warn(
        { node: this.nodeName ?? '<before hello>', remote: this.remoteAddress, err: reason },
        'rejected frame from node',
      );
    this.send({ type: 'error', message: reason });
  }

  private receive(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    if (!this.open) return;
    this.lastHeard = Date.now();
    let msg: NodeToHub;
    try {
      if (!isBinary) throw new FrameError('text frames are not part of the protocol: frames are binary msgpack');
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      msg = decodeFrame(compiledSchema(NodeToHubSchema), buf);
      this.meter?.received(msg.type, buf.byteLength);
    } catch (err) {
      this.violation(errorMessage(err));
      return;
    }
    this.queued++;
    if (this.queued >= this.limits.maxQueuedMessages && !this.ws.isPaused) this.ws.pause();
    this.chain = this.chain
      .then(() => this.handlers.onMessage(this, msg))
      .catch((err: unknown) => {
        this.logger.warn(
          { node: this.nodeName, type: msg.type, err: errorMessage(err) },
          'failed to handle node message',
        );
        this.send({ type: 'error', message: `could not handle ${msg.type}: ${errorMessage(err)}` });
      })
      .finally(() => {
        this.queued--;
        if (this.ws.isPaused && this.queued <= this.limits.maxQueuedMessages / 4) this.ws.resume();
      });
  }

  private closedByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const w of this.pongWaiters) w(false);
    this.pongWaiters.clear();
    this.handlers.onClose(this);
  }
}

/** A close reason must fit 123 bytes of UTF-8. */
function truncateUtf8(s: string, maxBytes: number): string {
  let out = s;
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}

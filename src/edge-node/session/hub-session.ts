/**
 * The node's session with the hub: dials `ws(s)://<hub>/…/connect` with the join token, says `hello`,
 * heartbeats at the interval the hub's `welcome` names, and redials with exponential back-off and
 * jitter when the socket drops (`redial-policy.ts`). Frames are msgpackr + zod (`encodeFrame`/
 * `decodeFrame`); what comes from the hub is bounded by `MAX_HUB_FRAME_BYTES` and read by
 * `hub-frames.ts` (bad frames answered, split pod sets gathered, the Service stream applied and handed
 * on as one whole `serviceSync`, so the agent sees one shape); this node's own `podStatus`/`podGone`
 * reports are split to stay far below the hub's bound. A redial offers the Service revision reached so
 * the same hub resends only what changed, and the pods held with their hashes so any hub of protocol 9
 * sends only the pods that changed (`pod-position.ts`). A hub that is busy admitting (`Busy`) names when to come
 * back; the hub is declared gone only after several silent heartbeat intervals, not one late pong
 * (`hub-heartbeat.ts`).
 *
 * Several hubs (one cluster on one etcd): the session dials the current one of `HubEndpoints` and
 * moves to the next when a dial fails or a welcomed connection drops; the next hub is dialed after a
 * short jittered wait while some hub of the list has not failed yet, and with the full back-off once
 * every hub failed in a row. A welcomed connection that drops is redialed after the usual random spread
 * (a fleet whose hub died does not land on the next hub all at once). Another hub has another Service
 * stream epoch, so it sends the whole Service set, and the whole pod set as every hub does on connect.
 *
 * `hello` carries a random id of this agent process: after a network blip the hub lets the same
 * process straight back in, while a second process using the same node name (a copied data dir) is
 * refused with reason `DuplicateNode`; the session then stops redialing and reports `refused`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { PROTOCOL_VERSION, encodeFrame, errorMessage } from '../../api/index.js';
import type { NodeToHub } from '../../api/index.js';
import {
  CLOSE_DUPLICATE_NODE,
  CLOSE_NODE_REVOKED,
  DEFAULT_BACKOFF,
  gatewayUrl,
  type HubSessionDeps,
  type SessionBackoff,
  type Welcome,
} from './hub-session-deps.js';
import { HubFrameReader, helloMessage } from './hub-frames.js';
import { HubEndpoints } from './hub-endpoints.js';
import { HubHeartbeat } from './hub-heartbeat.js';
import { closeSocket, dialOptions, readRefusal, type UpgradeRefusal } from './hub-socket.js';
import { NodeServices } from './node-services.js';
import { RedialPolicy } from './redial-policy.js';
import { reportFrames } from './report-frames.js';

export {
  CLOSE_DUPLICATE_NODE,
  gatewayUrl,
  type HubSessionDeps,
  type SessionBackoff,
  type SessionEvent,
  type Welcome,
} from './hub-session-deps.js';

/** Bytes queued towards the hub beyond which it counts as not reading (the connection is redialed). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** A self-healing WebSocket session with the hub. */
export class HubSession {
  private readonly deps: HubSessionDeps;
  private readonly tuning: SessionBackoff;
  private readonly redial: RedialPolicy;
  private readonly heartbeat: HubHeartbeat;
  /** The hubs this node knows, one of them current. */
  readonly endpoints: HubEndpoints;
  private ws: WebSocket | undefined;
  private stopped = true;
  private welcomed = false;
  private redialTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private unauthorized = false;
  /** Dials failed in a row: the first is a warning, the rest of an outage is debug noise. */
  private failedDials = 0;
  /** Serializes message handling: a podSync is fully applied before the serviceSync after it. */
  private inbox: Promise<void> = Promise.resolve();
  /** This agent process's id in `hello`. */
  readonly instanceId = randomUUID();
  private refused = false;
  /** The hub of the current dial answered Busy (it read the hello). */
  private heardBusy = false;
  /** The hello of the current dial offered a pod position. */
  private offeredPods = false;
  /** The Services the hub's stream gave this node (handed on as a whole `serviceSync` on each change). */
  private readonly services = new NodeServices();
  private readonly frames: HubFrameReader;

  constructor(deps: HubSessionDeps) {
    this.deps = deps;
    this.tuning = { ...DEFAULT_BACKOFF, ...deps.backoff };
    this.redial = new RedialPolicy(this.tuning);
    this.heartbeat = new HubHeartbeat(this.tuning.missedPongs, deps.logger);
    this.frames = new HubFrameReader(this.services, deps.logger, deps.podPosition);
    this.endpoints = HubEndpoints.of(deps.hubUrl);
    // Every address is checked now: a bad one is a configuration error, not a dial failure later.
    for (const u of this.endpoints.all) gatewayUrl(u);
  }

  /** The gateway URL of the current hub. */
  private get url(): string {
    return gatewayUrl(this.endpoints.current);
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
    await closeSocket(ws, 'node agent stopping');
    await this.inbox;
  }

  private dial(): void {
    if (this.stopped) return;
    const log = this.deps.logger;
    this.unauthorized = false;
    this.heardBusy = false;
    this.offeredPods = false;
    const ws = new WebSocket(this.url, dialOptions(this.deps));
    this.ws = ws;
    log.debug({ url: this.url }, 'dialing hub');
    ws.on('unexpected-response', (req, res: IncomingMessage) => this.onRejected(ws, req, res));
    ws.on('open', () => {
      log.info({ url: this.url }, 'connected to hub');
      const pods = this.frames.podPosition.offer();
      this.offeredPods = pods !== undefined;
      ws.send(encodeFrame(helloMessage(this.deps.nodeInfo(), this.instanceId, this.services.resumePoint(), pods)));
    });
    ws.on('message', (data: RawData) => this.onFrame(ws, data));
    ws.on('pong', () => this.heartbeat.heard());
    ws.on('error', (err) => {
      if (this.unauthorized) return; // already reported, with its cause
      if (this.failedDials === 0)
        log.warn({ err: err.message, url: this.url }, 'hub connection error (will keep redialing)');
      else log.debug({ err: err.message, url: this.url }, 'hub connection error');
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onRejected(ws: WebSocket, req: { destroy(): void }, res: IncomingMessage): void {
    const done = ({ status, detail }: UpgradeRefusal): void => {
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
    };
    readRefusal(res, done, () => ws.terminate());
  }

  private onFrame(ws: WebSocket, data: RawData): void {
    this.heartbeat.heard(); // any frame shows the hub is alive
    const msg = this.frames.read(ws, data);
    if (msg === undefined) return;
    if (msg.type === 'welcome') this.onWelcome(ws, msg);
    if (msg.type === 'heartbeatPace') {
      // The session's own business, as the welcome's interval was: beat at the hub's new pace.
      if (this.welcomed && this.ws === ws) {
        this.heartbeat.repace(ws, Math.max(100, msg.heartbeatIntervalSeconds * 1000));
        this.deps.logger.info({ seconds: msg.heartbeatIntervalSeconds }, 'hub re-paced the heartbeat');
      }
      return;
    }
    if (msg.type === 'hubs') {
      // The session's own business: the hubs it may fail over to (the agent has nothing to do with it).
      const usable = msg.urls.filter((u) => {
        try {
          return gatewayUrl(u) !== '';
        } catch {
          return false;
        }
      });
      if (this.endpoints.learn(usable)) this.deps.logger.info({ hubs: this.endpoints.all }, 'hubs of the cluster');
      return;
    }
    if (msg.type === 'error') {
      const busy = msg.reason === 'Busy';
      if (busy) this.heardBusy = true;
      if (busy) this.redial.busy(msg.retryAfterMs);
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
    this.endpoints.succeeded();
    this.clearTimers();
    this.heartbeat.start(ws, Math.max(100, welcome.heartbeatIntervalSeconds * 1000));
    this.stableTimer = setTimeout(() => this.redial.reset(), this.tuning.stableMs);
    this.deps.onEvent?.({ type: 'connected', welcome, hub: this.endpoints.current });
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
    // A hub that got a hello with a pod position and hung up without a welcome may be older and refuse
    // the field: offer none until one welcomes us. A dial that never reached a hub (an outage) keeps
    // it, and so does a Busy answer (that hub read the hello).
    if (!wasWelcomed && this.offeredPods && !this.heardBusy) this.frames.podPosition.unwelcomed();
    if (this.stopped) return;
    if (!wasWelcomed) this.failedDials += 1;
    const delay = this.nextDelay(wasWelcomed, code);
    this.deps.logger.debug({ delayMs: delay, hub: this.endpoints.current }, 'redialing hub');
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined;
      this.dial();
    }, delay);
  }

  /** Moves to the next hub (when there are several) and says how long to wait before dialing it. */
  private nextDelay(wasWelcomed: boolean, code: number): number {
    if (this.endpoints.all.length === 1) return this.redial.next(wasWelcomed, code, this.unauthorized);
    const from = this.endpoints.current;
    const everyHubFailed = this.endpoints.failed();
    this.deps.logger.info({ from, to: this.endpoints.current }, 'trying another hub');
    // A hub that is down (or busy) while another of the list is untried: that one is dialed soon.
    if (!wasWelcomed && !everyHubFailed && !this.unauthorized) return this.redial.another();
    return this.redial.next(wasWelcomed, code, this.unauthorized);
  }

  private clearTimers(): void {
    for (const t of [this.redialTimer, this.stableTimer]) if (t) clearTimeout(t);
    this.heartbeat.stop();
    this.redialTimer = this.stableTimer = undefined;
  }
}

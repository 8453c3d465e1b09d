/**
 * One hollow node: a real gateway session (its own certificate over TLS, `hello`, `heartbeat`s at
 * the interval the hub's `welcome` names with the agent's own `HubHeartbeat`: a ping only in an
 * interval the hub was not heard from, the hub dropped after `missedPongs` silent intervals; redial
 * with jittered exponential back-off) and a pod table
 * that reports pods Running and then Ready without running anything. Hub frames are dispatched
 * through a table by `type`; a type the table lacks (a frame newer than this harness) is counted and
 * otherwise ignored. Every frame in and out is counted by type.
 */
import type { ConnectionOptions } from 'node:tls';
import { WebSocket, type RawData } from 'ws';
import {
  MAX_HUB_FRAME_BYTES,
  MAX_HUB_FRAME_VALUES,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  errorMessage,
  type NodeToHub,
} from '../../src/api/index.js';
import { silentLogger } from '../../src/platform/index.js';
import { HubHeartbeat } from '../../src/edge-node/session/hub-heartbeat.js';
import { noteError, type FleetContext } from './context.js';
import { NodeCounters } from './counters.js';
import { DialLog, dialFailureReason } from './dial-log.js';
import { peekServiceFrame } from './frame-peek.js';
import { Envelope, HANDLERS } from './hub-frames.js';
import type { HollowCredential } from './identity.js';
import { NodePods } from './node-pods.js';
import { ServiceRevisions } from './service-revs.js';
import { jitter } from './wheel.js';

/** Heartbeat intervals without a pong or any frame before a hub is dropped (the agent's default). */
const MISSED_PONGS = 3;

/** Close codes after which a real agent stops redialing (another agent holds the name; revoked). */
const FATAL_CLOSE_CODES = new Set([4409, 4410]);

/** Lifecycle of a hollow node's session. */
export type NodeState = 'idle' | 'joining' | 'dialing' | 'connected' | 'waiting' | 'stopped';

/** One simulated node. */
export class HollowNode {
  readonly counters = new NodeCounters();
  /** How the dials went since the storm's mark. */
  readonly dials = new DialLog();
  readonly pods: NodePods;
  /** Where this node stands in the hub's Service stream. */
  readonly services = new ServiceRevisions();
  /** When the latest Service frame arrived (ms epoch; 0: none yet). */
  lastServiceFrameAt = 0;
  state: NodeState = 'idle';
  /** When the current session was welcomed (ms epoch), 0 when not connected. */
  connectedAt = 0;
  /** When this node was first welcomed (ms epoch). */
  firstWelcomeAt = 0;
  reconnects = 0;
  #cred: HollowCredential | undefined;
  #ws: WebSocket | undefined;
  #attempt = 0;
  /** The agent's heartbeat of the current session. */
  #heartbeat: HubHeartbeat | undefined;
  /** Pings of the sessions before the current one. */
  #pingsBefore = 0;
  /** The delay a `Busy` answer named for the next dial (consumed by it). */
  #retryAfterMs: number | undefined;
  /** Why the current dial failed, when an error or a `Busy` said so before the close. */
  #dialFailure: string | undefined;
  readonly #instanceId = `hollow-${Math.random().toString(36).slice(2, 12)}-${Date.now().toString(36)}`;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly ctx: FleetContext,
  ) {
    this.pods = new NodePods(this, ctx);
  }

  /** Pings sent to the hub, all sessions (the agent's rule: only in intervals the hub was silent). */
  get pings(): number {
    return this.#pingsBefore + (this.#heartbeat?.pings ?? 0);
  }

  /** True while welcomed on an open socket. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Loads (or gets) this node's credential; returns how it was obtained. */
  async join(forceCsr = false): Promise<string> {
    this.state = 'joining';
    const { cred, source } = await this.ctx.identities.load(this.name, { forceCsr });
    this.#cred = cred;
    this.state = 'idle';
    return source;
  }

  /** Starts dialing (and redialing until `stop`/`kill`). */
  start(delayMs = 0): void {
    if (this.state === 'stopped' || this.state === 'idle') {
      this.state = 'waiting';
      this.ctx.wheel.after(delayMs, () => this.#dial());
    }
  }

  /** Drops the socket without a close handshake and stops redialing (a power cut). */
  kill(): void {
    this.state = 'stopped';
    this.connectedAt = 0;
    this.#stopHeartbeat();
    this.#ws?.terminate();
    this.#ws = undefined;
  }

  /** Sends one message on the welcomed session; false when there is none. */
  send(msg: NodeToHub): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || (this.state !== 'connected' && msg.type !== 'hello')) return false;
    const frame = encodeFrame(msg);
    this.counters.count('out', msg.type, frame.byteLength);
    ws.send(frame);
    return true;
  }

  /** The hub welcomed the session: heartbeats start, a phase apart per node. */
  welcomed(ws: WebSocket, heartbeatSeconds: number): void {
    if (ws !== this.#ws) return;
    const now = Date.now();
    if (this.firstWelcomeAt === 0) this.firstWelcomeAt = now;
    else this.reconnects++;
    this.state = 'connected';
    this.connectedAt = now;
    this.dials.welcomed(now);
    this.ctx.tally.welcomes++;
    this.#stopHeartbeat();
    const heartbeat = new HubHeartbeat(MISSED_PONGS, silentLogger(), (frame) =>
      this.counters.count('out', 'heartbeat', frame.byteLength),
    );
    this.#heartbeat = heartbeat;
    heartbeat.start(ws, Math.max(100, heartbeatSeconds * 1000));
  }

  /** The hub re-paced the fleet's heartbeats (protocol 11), as the agent's session does. */
  repaced(ws: WebSocket, heartbeatSeconds: number): void {
    if (ws !== this.#ws) return;
    this.#heartbeat?.repace(ws, Math.max(100, heartbeatSeconds * 1000));
  }

  /** A Service frame was applied; `miss` says why the node must ask for the whole set again. */
  serviceFrame(ws: WebSocket, miss: string | undefined): void {
    this.lastServiceFrameAt = Date.now();
    if (miss === undefined || ws !== this.#ws) return;
    this.ctx.tally.resyncs++;
    noteError(this.ctx.tally, `${this.name}: resync: ${miss}`);
    this.send({ type: 'resync', reason: miss.slice(0, 1000) });
  }

  /** A hub `error` frame: a fatal one with a reason ends this node for good, as the agent does. */
  hubError(msg: Envelope): void {
    // Busy (protocol 2): the hub admits too many nodes at once; redial after the delay it names, as an agent does.
    if (msg.reason === 'Busy') {
      this.ctx.tally.busy = (this.ctx.tally.busy ?? 0) + 1;
      this.#retryAfterMs = typeof msg.retryAfterMs === 'number' ? msg.retryAfterMs : undefined;
      this.#dialFailure = 'busy';
      return;
    }
    noteError(this.ctx.tally, `hub error to ${this.name}: ${String(msg.message).slice(0, 200)}`);
    if (msg.fatal === true && msg.reason !== undefined) this.kill();
  }

  #dial(): void {
    if (this.state !== 'waiting' || !this.#cred) return;
    this.state = 'dialing';
    this.#dialFailure = undefined;
    this.dials.dialing(Date.now());
    // ws hands its options on to tls.connect: the node's prebuilt context saves parsing PEMs per dial.
    const tlsOptions: Pick<ConnectionOptions, 'secureContext'> = { secureContext: this.#cred.context };
    const ws = new WebSocket(this.ctx.gatewayUrl, {
      ...(tlsOptions as object),
      handshakeTimeout: 10_000,
      maxPayload: MAX_HUB_FRAME_BYTES,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    ws.on('open', () => this.#hello(ws));
    ws.on('message', (data: RawData) => this.#onFrame(ws, data));
    ws.on('pong', () => {
      if (ws === this.#ws) this.#heartbeat?.heard();
    });
    ws.on('unexpected-response', (req, res) => {
      if (res.statusCode === 401 || res.statusCode === 403) {
        // A hub that does not know this key (a fresh store): the agent would need a new join; so do we.
        noteError(this.ctx.tally, `${this.name}: the gateway refused its certificate (HTTP ${res.statusCode})`);
      }
      this.#dialFailure ??= `HTTP ${res.statusCode}`;
      res.resume();
      req.destroy();
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (this.state !== 'dialing') return;
      noteError(this.ctx.tally, `dial: ${err.message}`);
      this.#dialFailure ??= dialFailureReason(err.message);
    });
    ws.on('close', (code) => this.#onClose(ws, code));
  }

  #hello(ws: WebSocket): void {
    const resume = this.services.resumePoint();
    const frame = encodeFrame({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      instanceId: this.#instanceId,
      node: {
        name: this.name,
        labels: { 'edgeplane.io/hollow': 'true' },
        address: this.address,
        meshPort: 7401,
        arch: 'amd64',
        os: 'linux',
        runtimes: ['wasm'],
        capacity: { cpu: '4', memory: '8Gi', pods: String(this.ctx.tuning.podCapacity) },
        agentVersion: 'hollow',
      },
      ...(resume ? { resume } : {}),
    } satisfies NodeToHub);
    this.counters.count('out', 'hello', frame.byteLength);
    ws.send(frame);
  }

  #onFrame(ws: WebSocket, data: RawData): void {
    if (ws !== this.#ws) return;
    this.#heartbeat?.heard();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let msg: Envelope;
    try {
      // Service frames: names and revisions only (`frame-peek.ts`: the routes are what the hub is measured on).
      const service = peekServiceFrame(bytes);
      msg = service ? Envelope.parse(service) : decodeFrame(Envelope, bytes, { maxValues: MAX_HUB_FRAME_VALUES });
    } catch (err) {
      this.ctx.tally.badFrames++;
      noteError(this.ctx.tally, `bad frame: ${errorMessage(err)}`);
      return;
    }
    this.counters.count('in', msg.type, bytes.byteLength);
    const handle = HANDLERS[msg.type];
    if (!handle) return;
    try {
      handle(this, ws, msg);
    } catch (err) {
      this.ctx.tally.badFrames++;
      noteError(this.ctx.tally, `invalid ${msg.type}: ${errorMessage(err).slice(0, 200)}`);
    }
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    this.#stopHeartbeat();
    const wasConnected = this.state === 'connected';
    if (this.state === 'stopped') return;
    if (wasConnected) this.ctx.tally.drops++;
    else {
      this.ctx.tally.failedDials++;
      this.dials.failed(this.#dialFailure ?? `closed ${code}`);
    }
    const { initialMs, maxMs, stableMs } = this.ctx.tuning.backoff;
    if (wasConnected && Date.now() - this.connectedAt >= stableMs) this.#attempt = 0;
    this.connectedAt = 0;
    if (FATAL_CLOSE_CODES.has(code)) {
      noteError(this.ctx.tally, `${this.name}: the hub closed with ${code}; not redialing`);
      this.state = 'stopped';
      return;
    }
    const base = Math.min(maxMs, initialMs * 2 ** this.#attempt++);
    const delay = this.#retryAfterMs ?? base * jitter(0.7, 1.3);
    this.#retryAfterMs = undefined;
    this.state = 'waiting';
    this.ctx.wheel.after(delay, () => this.#dial());
  }

  /** Ends the session's heartbeat, keeping its pings and counting whether it gave the hub up. */
  #stopHeartbeat(): void {
    const heartbeat = this.#heartbeat;
    if (!heartbeat) return;
    heartbeat.stop();
    this.#pingsBefore += heartbeat.pings;
    this.ctx.tally.pongTimeouts += heartbeat.hubsLost;
    this.#heartbeat = undefined;
  }
}

/**
 * The API's streaming upgrades (`GET …/pods/{name}/exec` with `Upgrade: websocket`): each request is
 * run through the API app with a stream slot, so it is authenticated, authorised (`create pods/exec`)
 * and validated like any other; a route that accepts it fills the slot and the connection is upgraded
 * to the channel protocol; anything else is answered with the app's response (a Status) and closed.
 * Port-forward (`…/portforward`) is upgraded to SPDY/3.1 instead: on the connection itself, or in a
 * WebSocket offering `SPDY/3.1+portforward.k8s.io` (`port-forward.ts`).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorMessage, type Logger } from '../../../api/index.js';
import type { PodExecSource, PodLogSource } from '../types.js';
import { runAttachStream } from './attach-stream.js';
import { chooseProtocol } from './channel-protocol.js';
import { runCommandStream } from './command-stream.js';
import { runExecStream } from './exec-stream.js';
import type { PodStreamSource } from './pod-stream-source.js';
import { runPortForward } from './port-forward.js';
import { PORT_FORWARD_PROTOCOL, PORT_FORWARD_WEBSOCKET_PROTOCOL } from './port-forward-plan.js';
import { runOverSocket, runOverWebSocket } from './spdy/transports.js';
import type { ExecStreamPlan, PortForwardStreamPlan, StreamPlan, StreamUpgradeEnv } from './stream-env.js';

/** Paths of the streaming subresources (the app decides what each answers). */
const STREAM_PATH = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach|portforward)$/;
/** Largest message a client may send (stdin chunks and resizes are small; client-go writes 32 KiB). */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
/** Largest message of a SPDY tunnel (client-go writes a frame's data, at most 32 KiB, in one message). */
const MAX_TUNNEL_MESSAGE_BYTES = 1024 * 1024 + 64;
/** Largest error body written back on a refused upgrade (Statuses are small; bound it anyway). */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** What the upgrade handler needs: the API app and the exec source. */
export interface StreamUpgradeDeps {
  fetch: (req: Request, env: StreamUpgradeEnv) => Response | Promise<Response>;
  exec?: PodExecSource;
  /** Command streams to nodes (protocol 4): exec with stdin, a tty, and output as it comes. */
  streams?: PodStreamSource;
  /** Where attach reads the container's output (the pod's log, followed). */
  logs?: PodLogSource;
  logger: Logger;
}

/** Serves the API's streaming upgrades. */
export class PodStreamUpgrades {
  readonly #deps: StreamUpgradeDeps;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => chooseProtocol([...offered]) ?? false,
  });
  /** WebSockets tunnelling SPDY for port-forward. */
  readonly #tunnels = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_TUNNEL_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) =>
      offered.has(PORT_FORWARD_WEBSOCKET_PROTOCOL) ? PORT_FORWARD_WEBSOCKET_PROTOCOL : false,
  });
  /** Upgraded SPDY connections (closed with the hub). */
  readonly #spdySockets = new Set<Duplex>();

  constructor(deps: StreamUpgradeDeps) {
    this.#deps = deps;
  }

  /** Whether `req` is for a streaming subresource (others go to their own upgrade handler). */
  handles(req: IncomingMessage): boolean {
    return STREAM_PATH.test((req.url ?? '').split('?')[0] ?? '');
  }

  /** Handles one upgrade request for a streaming subresource. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const env: StreamUpgradeEnv = { incoming: req, streamSlot: {} };
    socket.on('error', () => socket.destroy());
    void (async () => {
      const res = await this.#deps.fetch(toRequest(req), env);
      // The user's stream slot (taken by the app) is held for as long as the connection lives.
      const release = env.streamSlot.release;
      if (release && socket.destroyed) release();
      else if (release) socket.once('close', release);
      const plan = env.streamSlot.plan;
      if (plan === undefined || res.status >= 300) return refuse(socket, res);
      if (plan.kind === 'attach' && (plan.stdin || plan.tty) && !this.#deps.streams)
        return refuse(
          socket,
          badRequest('attach with stdin or a tty (-i, -t) needs node streams, which this hub serves without'),
        );
      if (plan.kind === 'exec' && (plan.stdin || plan.tty) && !this.#deps.streams)
        return refuse(
          socket,
          badRequest('exec with stdin or a tty (-i, -t) needs command streams, which this hub serves without'),
        );
      if (socket.destroyed) return;
      if (plan.kind === 'portforward') return this.#portForward(req, socket, head, plan);
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#run(ws, plan));
    })().catch((err: unknown) => {
      this.#deps.logger.error({ err: errorMessage(err) }, 'streaming upgrade failed');
      socket.destroy();
    });
  }

  /** Ends every open stream (the hub is stopping) and closes the WebSocket server. */
  close(): void {
    for (const ws of this.#wss.clients) ws.terminate();
    for (const ws of this.#tunnels.clients) ws.terminate();
    for (const s of this.#spdySockets) s.destroy();
    this.#wss.close();
    this.#tunnels.close();
  }

  /** Upgrades a validated port-forward and serves kubectl's port-forward protocol on it. */
  #portForward(req: IncomingMessage, socket: Duplex, head: Buffer, plan: PortForwardStreamPlan): void {
    const { streams, logger } = this.#deps;
    if (!streams?.openPortForward) {
      void refuse(socket, badRequest('port-forward needs node streams, which this hub serves without'));
      return;
    }
    const open = (t: Parameters<typeof runPortForward>[0]) => runPortForward(t, streams, plan, logger);
    if (plan.upgrade === 'websocket') {
      this.#tunnels.handleUpgrade(req, socket, head, (ws) => runOverWebSocket(ws, open));
      return;
    }
    // Answered as the kubelet's upgrader does: 101, the upgrade, and the negotiated protocol.
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
    );
    this.#spdySockets.add(socket);
    socket.once('close', () => this.#spdySockets.delete(socket));
    runOverSocket(socket, head, open);
  }

  #run(ws: WebSocket, plan: StreamPlan): void {
    ws.on('error', () => ws.terminate());
    const { exec, logs, streams, logger } = this.#deps;
    if (plan.kind === 'exec' && streams) this.#runExec(ws, plan, streams);
    else if (plan.kind === 'exec' && exec) void runExecStream(ws, exec, plan, logger);
    else if (plan.kind === 'attach' && (plan.stdin || plan.tty) && streams) runCommandStream(ws, streams, plan, logger);
    else if (plan.kind === 'attach' && logs) void runAttachStream(ws, logs, plan, logger);
    else ws.close(1011, `${plan.kind} is not available on this hub`);
  }

  /**
   * An exec as a node command stream; to a node of an older protocol, the one-shot exec it serves,
   * or (with stdin or a tty, which it cannot give) a Status saying the agent needs an upgrade.
   */
  #runExec(ws: WebSocket, plan: ExecStreamPlan, streams: PodStreamSource): void {
    const { exec, logger } = this.#deps;
    let supported: boolean;
    try {
      supported = streams.streamsSupported(plan.namespace, plan.name);
    } catch {
      supported = true; // openStream reports the same fault as a Status
    }
    if (supported || plan.stdin || plan.tty || !exec) return runCommandStream(ws, streams, plan, logger);
    void runExecStream(ws, exec, plan, logger);
  }
}

/** The upgrade request as a fetch Request (no body: a streaming request carries none). */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const host = req.headers.host ?? 'localhost';
  const scheme = 'encrypted' in req.socket ? 'https' : 'http';
  return new Request(`${scheme}://${host}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers });
}

/** A 400 Status response (for refusals decided here rather than by the app). */
function badRequest(message: string): Response {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'BadRequest',
    code: 400,
  };
  return new Response(JSON.stringify(status), { status: 400, headers: { 'content-type': 'application/json' } });
}

/** Writes the app's answer as a plain HTTP response and closes the socket. */
async function refuse(socket: Duplex, res: Response): Promise<void> {
  const body = Buffer.from(await res.arrayBuffer()).subarray(0, MAX_REFUSAL_BYTES);
  const status = res.status >= 300 ? res.status : 400;
  const type = res.headers.get('content-type') ?? 'text/plain';
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  if (!socket.destroyed) socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

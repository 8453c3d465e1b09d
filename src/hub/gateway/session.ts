/**
 * One connected node: frames in and out over its WebSocket. Decoding and validation happen here, so a
 * garbage frame gets an `error` frame back naming what is wrong and never reaches the gateway logic.
 */
import type { WebSocket } from 'ws';
import type { HubToNode, Logger, NodeToHub } from '../../api/index.js';
import { FrameError, NodeToHub as NodeToHubSchema, decodeFrame, encodeFrame, errorMessage } from '../../api/index.js';

export interface NodeSessionHandlers {
  onMessage(session: NodeSession, msg: NodeToHub): Promise<void> | void;
  onClose(session: NodeSession): void;
}

export class NodeSession {
  /** Set once the node said hello. */
  nodeName: string | undefined;
  private alive = true;
  private readonly pingTimer: NodeJS.Timeout;
  private closed = false;
  /** Incoming messages are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    private readonly handlers: NodeSessionHandlers,
    private readonly logger: Logger,
    pingIntervalMs: number,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.closedByPeer());
    ws.on('error', (err) => logger.warn({ node: this.nodeName, err: err.message }, 'node socket error'));
    // A half-open TCP connection never closes by itself: ping, and drop a peer that stops answering.
    this.pingTimer = setInterval(() => {
      if (!this.alive) {
        this.logger.warn({ node: this.nodeName }, 'node stopped answering pings; closing');
        ws.terminate();
        return;
      }
      this.alive = false;
      ws.ping();
    }, pingIntervalMs);
    this.pingTimer.unref();
  }

  send(msg: HubToNode): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(msg));
  }

  /** Sends a fatal error and closes. */
  fail(message: string, code = 1008): void {
    this.send({ type: 'error', message, fatal: true });
    this.ws.close(code, message.slice(0, 120));
  }

  close(): void {
    this.ws.close(1001, 'hub shutting down');
  }

  private receive(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    let msg: NodeToHub;
    try {
      if (!isBinary) throw new FrameError('text frames are not part of the protocol: frames are binary msgpack');
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      msg = decodeFrame(NodeToHubSchema, buf);
    } catch (err) {
      this.logger.warn({ node: this.nodeName, err: errorMessage(err) }, 'rejected frame from node');
      this.send({ type: 'error', message: errorMessage(err) });
      return;
    }
    this.chain = this.chain
      .then(() => this.handlers.onMessage(this, msg))
      .catch((err: unknown) => {
        this.logger.warn({ node: this.nodeName, type: msg.type, err: errorMessage(err) }, 'failed to handle node message');
        this.send({ type: 'error', message: `could not handle ${msg.type}: ${errorMessage(err)}` });
      });
  }

  private closedByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    this.handlers.onClose(this);
  }
}

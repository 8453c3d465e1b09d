/**
 * Test kit: a TCP proxy in front of a plain-ws hub that can cut every connection and refuse new ones
 * (an outage of the link, not of the hub), and that counts the WebSocket frames and bytes of each
 * connection in both directions. Frames from the hub are unmasked, so their message type is read too.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HubToNode, MAX_HUB_FRAME_VALUES, decodeFrame } from '../../../api/index.js';

/** One data frame on the wire: its direction, bytes (header included) and, from the hub, its type. */
export interface WireFrame {
  from: 'hub' | 'node';
  bytes: number;
  type?: string;
}

/** Reads WebSocket frames out of one direction of a connection, after its HTTP upgrade. */
class FrameCounter {
  private buf = Buffer.alloc(0);
  private upgraded = false;

  constructor(
    private readonly from: 'hub' | 'node',
    private readonly out: WireFrame[],
  ) {}

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.upgraded = true;
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0]! & 0x0f;
      const masked = (this.buf[1]! & 0x80) !== 0;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const mask = masked ? this.buf.subarray(off, off + 4) : undefined;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      // Binary frames only (pings, pongs and closes are the transport's, not the protocol's).
      if (opcode === 2) {
        const frame: WireFrame = { from: this.from, bytes: off + len };
        if (!mask)
          frame.type = decodeFrame(HubToNode, this.buf.subarray(off, off + len), {
            maxValues: MAX_HUB_FRAME_VALUES,
          }).type;
        this.out.push(frame);
      }
      this.buf = this.buf.subarray(off + len);
    }
  }
}

/** A proxy whose link can be cut and restored. */
export class CutProxy {
  /** Frames of each connection, in order of connection. */
  readonly connections: WireFrame[][] = [];
  private up = true;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly target: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Listens on a free port of 127.0.0.1 in front of `targetPort`. */
  static async start(targetPort: number): Promise<CutProxy> {
    const proxy = new CutProxy(net.createServer(), targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's URL (http://, as the hub's). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Cuts every connection and refuses new ones until `restore`. */
  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (!this.up) return void client.destroy();
    const frames: WireFrame[] = [];
    this.connections.push(frames);
    const fromNode = new FrameCounter('node', frames);
    const fromHub = new FrameCounter('hub', frames);
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => {
      fromNode.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      fromHub.push(d);
      client.write(d);
    });
  }
}

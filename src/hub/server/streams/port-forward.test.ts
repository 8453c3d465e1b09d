/*
 * kubectl's port-forward protocol over a real upgraded socket: a SPDY client written from the frames
 * (as spdystream speaks it) against `runOverSocket` + `runPortForward`, whose connections go to real
 * TCP servers on loopback through a small PodStreamSource (the node's part, which has its own tests).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/index.js';
import type { PodStream, PodStreamHandlers, PodStreamSource } from './pod-stream-source.js';
import { runPortForward } from './port-forward.js';
import {
  ControlType,
  FLAG_FIN,
  FrameReader,
  encodeControl,
  encodeData,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  type SpdyFrame,
  HeaderCodec,
} from '../../../api/index.js';
import { runOverSocket } from './spdy/transports.js';

/** Connections to 127.0.0.1:`port` as a node would make them (no credit accounting: the handlers' promises pace it). */
const source: PodStreamSource = {
  streamsSupported: () => true,
  openStream: () => {
    throw new Error('not used');
  },
  openPortForward(_ns: string, _pod: string, port: number, h: PodStreamHandlers): PodStream {
    const s = connect({ host: '127.0.0.1', port });
    let open = false;
    s.on('connect', () => (open = true));
    s.on('data', (d: Buffer) => {
      s.pause();
      void h.output(1, d).then(
        () => s.resume(),
        () => s.destroy(),
      );
    });
    s.on('error', (err) => !open && h.end({ error: err.message }));
    s.on('close', () => open && h.end({ exitCode: 0 }));
    return {
      write: (data) => new Promise((resolve) => s.write(data, () => resolve())),
      closeStdin: () => s.end(),
      resize: () => undefined,
      cancel: () => s.destroy(),
    };
  },
};

/** A SPDY client of the kind kubectl runs (odd stream ids, compressed headers). */
class Client {
  readonly #reader = new FrameReader();
  readonly #codec = new HeaderCodec();
  readonly frames: SpdyFrame[] = [];
  readonly replies: number[] = [];
  /** Header blocks that failed to decode (only ever after `close()`). */
  readonly decodeErrors: unknown[] = [];
  #decoding: Promise<void> = Promise.resolve();

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const f of this.#reader.push(d)) {
        this.frames.push(f);
        // The server's header blocks share one zlib stream: read them in order.
        if (f.kind === 'control' && f.type === ControlType.synReply) {
          const { streamId, headerBlock } = parseStreamHeaders(f.payload);
          // A reply still decoding when the test closes the client fails with the closed codec: kept, not thrown.
          this.#decoding = this.#decoding
            .then(async () => {
              await this.#codec.decode(headerBlock);
              this.replies.push(streamId);
            })
            .catch((err: unknown) => void this.decodeErrors.push(err));
        }
      }
    });
  }

  async open(id: number, headers: Record<string, string>, fin = false): Promise<void> {
    const block = await this.#codec.encode(new Map(Object.entries(headers).map(([k, v]) => [k, [v]])));
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.socket.write(encodeControl(ControlType.synStream, fin ? FLAG_FIN : 0, Buffer.concat([head, block])));
  }

  send(id: number, data: Buffer, fin = false): void {
    this.socket.write(encodeData(id, data, fin));
  }

  /** The data a stream brought, once it ended (FIN). */
  async dataOf(id: number): Promise<Buffer> {
    await waitFor(() => this.frames.some((f) => f.kind === 'data' && f.streamId === id && (f.flags & FLAG_FIN) !== 0));
    return Buffer.concat(this.frames.flatMap((f) => (f.kind === 'data' && f.streamId === id ? [f.data] : [])));
  }

  close(): void {
    this.socket.destroy();
    this.#codec.close();
  }
}

async function waitFor(ok: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let echo: Server;
let echoPort: number;
let refusedPort: number;
let hub: Server;
let hubPort: number;
const plan = { kind: 'portforward' as const, namespace: 'default', name: 'box', uid: 'u-1', upgrade: 'spdy' as const };

const listen = (s: Server): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  echoPort = await listen(echo);
  const gone = createServer();
  refusedPort = await listen(gone);
  await new Promise((r) => gone.close(r));
  hub = createServer((socket) =>
    runOverSocket(socket, Buffer.alloc(0), (t) => runPortForward(t, source, plan, silentLogger())),
  );
  hubPort = await listen(hub);
});

afterAll(async () => {
  await new Promise((r) => echo.close(r));
  await new Promise((r) => hub.close(r));
});

async function client(): Promise<Client> {
  const s = connect({ host: '127.0.0.1', port: hubPort });
  await new Promise((r) => s.once('connect', r));
  return new Client(s);
}

describe('port-forward over SPDY', () => {
  it('pairs the error and data streams of a request and relays bytes both ways, then FIN on both', async () => {
    const c = await client();
    const hdr = (type: string, id: string) => ({ streamtype: type, port: String(echoPort), requestid: id });
    await c.open(1, hdr('error', '0'));
    c.send(1, Buffer.alloc(0), true); // kubectl closes its side of the error stream at once
    await c.open(3, hdr('data', '0'));
    await waitFor(() => c.replies.includes(1) && c.replies.includes(3));
    const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    for (let off = 0; off < payload.length; off += 32 * 1024) c.send(3, payload.subarray(off, off + 32 * 1024));
    c.send(3, Buffer.alloc(0), true);
    expect((await c.dataOf(3)).equals(payload)).toBe(true);
    expect((await c.dataOf(1)).length).toBe(0);
    c.close();
  });

  it('keeps concurrent connections apart', async () => {
    const c = await client();
    const hdr = (type: string, id: string) => ({ streamtype: type, port: String(echoPort), requestid: id });
    await c.open(1, hdr('error', '7'));
    await c.open(3, hdr('error', '8'));
    await c.open(5, hdr('data', '8'));
    await c.open(7, hdr('data', '7'));
    await waitFor(() => c.replies.length === 4);
    c.send(5, Buffer.from('for eight'), true);
    c.send(7, Buffer.from('for seven'), true);
    expect((await c.dataOf(7)).toString()).toBe('for seven');
    expect((await c.dataOf(5)).toString()).toBe('for eight');
    c.close();
  });

  it('reports a refused port on the error stream in the kubelet’s words, then closes both streams', async () => {
    const c = await client();
    const hdr = (type: string) => ({ streamtype: type, port: String(refusedPort), requestid: '1' });
    await c.open(1, hdr('error'));
    await c.open(3, hdr('data'));
    const text = (await c.dataOf(1)).toString();
    expect(text).toMatch(
      new RegExp(`^error forwarding port ${refusedPort} to pod box_default, uid u-1: .*ECONNREFUSED`),
    );
    expect((await c.dataOf(3)).length).toBe(0);
    // The data stream's reply came before its FIN (spdystream drops data of a stream not yet replied to).
    const replyAt = c.frames.findIndex(
      (f) => f.kind === 'control' && f.type === ControlType.synReply && parseStreamHeaders(f.payload).streamId === 3,
    );
    const finAt = c.frames.findIndex((f) => f.kind === 'data' && f.streamId === 3);
    expect(replyAt).toBeGreaterThanOrEqual(0);
    expect(replyAt).toBeLessThan(finAt);
    c.close();
  });

  it('echoes pings and refuses streams without the port-forward headers', async () => {
    const c = await client();
    c.socket.write(encodeControl(ControlType.ping, 0, Buffer.from([0, 0, 0, 5])));
    await c.open(1, { streamtype: 'data', port: '80' }); // no requestid
    await c.open(3, { streamtype: 'data', port: '0', requestid: '1' });
    await waitFor(
      () =>
        c.frames.some((f) => f.kind === 'control' && f.type === ControlType.ping && parsePing(f.payload) === 5) &&
        c.frames.filter((f) => f.kind === 'control' && f.type === ControlType.rstStream).length === 2,
    );
    const resets = c.frames.flatMap((f) =>
      f.kind === 'control' && f.type === ControlType.rstStream ? [parseRstStream(f.payload).streamId] : [],
    );
    expect(resets.sort()).toEqual([1, 3]);
    c.close();
  });

  it('ends a connection whose header block is not zlib with GOAWAY (protocol error) instead of stalling it', async () => {
    const c = await client();
    const head = Buffer.alloc(10);
    head.writeUInt32BE(1, 0);
    const closed = new Promise((r) => c.socket.once('close', r));
    c.socket.write(encodeControl(ControlType.synStream, 0, Buffer.concat([head, Buffer.from('garbage, not zlib')])));
    await closed;
    const goAway = c.frames.find((f) => f.kind === 'control' && f.type === ControlType.goAway);
    // GOAWAY's payload: last good stream id, then the status (1: PROTOCOL_ERROR).
    expect(goAway?.kind === 'control' && goAway.payload.readUInt32BE(4)).toBe(1);
    expect(c.replies).toEqual([]);
    c.close();
  });

  it('a client that goes closes its connections to the pod', async () => {
    let closed = 0;
    const watch = createServer((s) => {
      s.on('close', () => closed++);
      s.pipe(s);
    });
    const port = await listen(watch);
    const c = await client();
    await c.open(1, { streamtype: 'error', port: String(port), requestid: '0' });
    await c.open(3, { streamtype: 'data', port: String(port), requestid: '0' });
    c.send(3, Buffer.from('hello'));
    await waitFor(() => c.frames.some((f) => f.kind === 'data' && f.streamId === 3 && f.data.length > 0));
    expect(closed).toBe(0);
    c.close();
    await waitFor(() => closed === 1);
    await new Promise((r) => watch.close(r));
  });
});

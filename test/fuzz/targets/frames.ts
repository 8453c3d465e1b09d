/**
 * Fuzz target `frames`: node→hub gateway frames sent to a real `edge-hub` process (bin/edge-hub.js,
 * built) over a real WebSocket over TLS, authenticated with a node certificate the hub signed for the
 * fuzz node (as every node gets one: bootstrap token + CSR), after a valid `hello`. Inputs are
 * 1–4 frames per case: random bytes, valid wire messages encoded then mutated (bit flips, byte
 * sets, inserts, deletes, truncation), and hostile msgpack (deep nesting, lying lengths, extension
 * types, structured-clone reference bombs, records, bundled strings, maps of thousands of keys, long
 * strings, rarely a frame over the size bound).
 *
 * Properties, per case:
 * - decoding + validating each frame (the hub's own `decodeFrame`, measured here in CPU time) costs
 *   less than `DECODE_BUDGET_MS` (best of three, so a GC pause is not blamed on the frame);
 * - the hub process is alive and answers a WebSocket ping after the frames (its event loop is free);
 * - a connection that has sent more invalid frames than the hub tolerates is closed with 1008;
 * and every 100 cases the hub answers /healthz.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import {
  GATEWAY_PATH,
  NODE_CERTIFICATE_PATH,
  NodeCertificateResponse,
  HubToNode,
  MAX_NODE_FRAME_BYTES,
  NodeToHub,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
} from '../../../src/api/index.js';
import { createCsr, generateKeyPair, parseJoinToken } from '../../../src/pki/index.js';
import { freePort, ROOT, until } from '../../support/cluster.js';
import { hostileMsgpack, mutate, mutation } from '../hostile-msgpack.js';
import type { FuzzTarget } from '../target.js';

/**
 * Most a frame may cost to decode and validate, in CPU time (best of three): wall time on a loaded
 * machine measures the scheduler, not the decoder. A hostile frame at the value bound costs 2–5 ms.
 */
const DECODE_BUDGET_MS = 10;
/** Invalid frames the hub tolerates per connection (its default `maxBadFrames`, within a minute). */
const HUB_MAX_BAD_FRAMES = 10;
const INSTANCE_ID = 'frames-fuzzer-0001';

/** One frame to send; printed short (a counterexample can be megabytes). */
class Frame {
  constructor(
    readonly kind: 'bytes' | 'oversize',
    readonly bytes: Uint8Array = new Uint8Array(0),
  ) {}
  [fc.toStringMethod](): string {
    if (this.kind === 'oversize') return `<frame over ${MAX_NODE_FRAME_BYTES} bytes>`;
    const head = Buffer.from(this.bytes.subarray(0, 48)).toString('hex');
    return `<frame ${this.bytes.byteLength} bytes: ${head}${this.bytes.byteLength > 48 ? '…' : ''}>`;
  }
}
// A copy of its own, as the hub receives it (encodeFrame returns a view of msgpackr's reused buffer).
const bytesFrame = (bytes: Uint8Array): Frame => new Frame('bytes', Buffer.from(bytes));

/** A node's TLS credentials: the hub's CA, and the key and certificate the hub signed for the node. */
interface NodeTls {
  ca: string;
  key: string;
  cert: string;
}

/** Joins the fuzz node as a real node does: its own key, a CSR sent with the bootstrap token, the certificate back. */
async function nodeCertificate(url: string, hubDir: string): Promise<NodeTls> {
  const ca = await readFile(join(hubDir, 'pki', 'ca.crt'), 'utf8');
  const bootstrap = parseJoinToken(await readFile(join(hubDir, 'join.token'), 'utf8')).secret;
  const keys = await generateKeyPair();
  const csr = await createCsr({ ...keys, commonName: 'system:node:fuzz-node', organizations: ['system:nodes'] });
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const res = await request(`${url}${NODE_CERTIFICATE_PATH}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bootstrap}` },
      body: JSON.stringify({ csr }),
    });
    const body = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`the hub refused the fuzz node's CSR: ${res.statusCode} ${body}`);
    return { ca, key: keys.privateKeyPem, cert: NodeCertificateResponse.parse(JSON.parse(body)).certificate };
  } finally {
    await dispatcher.close();
  }
}

/** One authenticated, welcomed connection and what it has sent. */
class Conn {
  bad = 0;
  closedWith: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  private welcomed!: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
      }),
    );
    ws.on('error', () => undefined);
  }

  /** An authenticated connection that has not said hello. */
  static async connect(url: string, tls: NodeTls): Promise<Conn> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + GATEWAY_PATH, { ...tls, perMessageDeflate: false });
    const conn = new Conn(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return conn;
  }

  static async open(url: string, tls: NodeTls): Promise<Conn> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + GATEWAY_PATH, { ...tls, perMessageDeflate: false });
    const conn = new Conn(ws);
    conn.welcomed = new Promise((resolve, reject) => {
      ws.on('message', (data) => {
        try {
          if (decodeFrame(HubToNode, data as Buffer).type === 'welcome') resolve();
        } catch {
          // other hub frames (error answers, podSync) are not the fuzzer's concern
        }
      });
      ws.once('close', () => reject(new Error('hub closed the connection before welcoming the fuzz node')));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      encodeFrame({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        instanceId: INSTANCE_ID,
        node: {
          name: 'fuzz-node',
          labels: {},
          address: '127.0.0.1',
          meshPort: 9,
          arch: 'amd64',
          os: 'linux',
          runtimes: ['wasm'],
          capacity: { cpu: '1', memory: '1Gi', pods: '10' },
          agentVersion: 'fuzz',
        },
      }),
    );
    await withTimeout(conn.welcomed, 10_000, 'the hub to welcome the fuzz node');
    return conn;
  }

  get open(): boolean {
    return this.closedWith === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Resolves once the hub answered a ping (it has read every frame before it) or closed the socket. */
  async roundTrip(ms: number): Promise<void> {
    if (!this.open) return;
    const pong = new Promise<void>((resolve) => this.ws.once('pong', () => resolve()));
    this.ws.ping();
    await withTimeout(Promise.race([pong, this.closed.then(() => undefined)]), ms, 'the hub to answer a ping');
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Ctx {
  dir: string;
  hub: ChildProcess;
  url: string;
  tls: NodeTls;
  stderrTail: string;
  conn: Conn | undefined;
  cases: number;
  /** Connections the hub closed for sending garbage. */
  abusiveClosed: number;
  slowestDecodeMs: number;
}

// ---- inputs -------------------------------------------------------------------------------------

const str = (max: number): fc.Arbitrary<string> => fc.string({ maxLength: max });
const podRef = fc.record({ namespace: str(12), name: str(20), uid: str(36) });
const validMessage: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ type: fc.constant('heartbeat'), time: str(30) }),
  fc.record({
    type: fc.constant('podStatus'),
    pods: fc.array(
      fc.record({
        pod: podRef,
        status: fc.record(
          { phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'), message: str(40), reason: str(20) },
          { requiredKeys: [] },
        ),
      }),
      { maxLength: 6 },
    ),
  }),
  fc.record({ type: fc.constant('podGone'), pods: fc.array(podRef, { maxLength: 6 }) }),
  fc.record(
    { type: fc.constant('logChunk'), requestId: str(36), data: str(300), done: fc.boolean() },
    { requiredKeys: ['type', 'requestId', 'data'] },
  ),
  fc.record({ type: fc.constant('error'), message: str(80) }),
  fc.record({
    type: fc.constant('event'),
    pod: podRef,
    eventType: fc.constantFrom('Normal', 'Warning'),
    reason: fc.string({ minLength: 1, maxLength: 20 }),
    message: str(80),
  }),
  fc.record(
    {
      type: fc.constant('execResult'),
      requestId: str(36),
      exitCode: fc.integer(),
      stdout: str(100),
      stderr: str(100),
      error: str(40),
    },
    { requiredKeys: ['type', 'requestId'] },
  ),
);

const hostile = hostileMsgpack({
  validMessage,
  simple: { type: 'heartbeat', key: 'time', value: 't' },
  refBomb: (node) => ({ type: 'podGone', pods: node }),
  pastBounds: [
    fc.integer({ min: 990, max: 1010 }).map((n) =>
      encodeFrame({
        type: 'podGone',
        pods: Array.from({ length: n }, (_, i) => ({ namespace: 'default', name: `p${i}`, uid: 'u' })),
      }),
    ),
  ],
});

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 512 }).map(bytesFrame) },
  { weight: 2, arbitrary: validMessage.map((m) => bytesFrame(encodeFrame(m))) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([m, muts]) => bytesFrame(mutate(encodeFrame(m), muts))),
  },
  { weight: 4, arbitrary: hostile.map(bytesFrame) },
  { weight: 1, arbitrary: fc.constant(new Frame('oversize')) },
);

// ---- the target ---------------------------------------------------------------------------------

function isValid(bytes: Uint8Array): boolean {
  try {
    decodeFrame(NodeToHub, bytes);
    return true;
  } catch {
    return false;
  }
}

/** Best of three CPU times of decode + validate, in ms. */
function decodeMs(bytes: Uint8Array): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    isValid(bytes);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
    if (best < DECODE_BUDGET_MS / 2) break;
  }
  return best;
}

async function healthz(ctx: Ctx): Promise<void> {
  const dispatcher = new Agent({ connect: { ca: ctx.tls.ca } });
  try {
    const res = await request(`${ctx.url}/healthz`, { dispatcher, signal: AbortSignal.timeout(5000) });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`hub /healthz answered ${res.statusCode}`);
  } finally {
    await dispatcher.close();
  }
}

export const target: FuzzTarget<Ctx, Frame[]> = {
  name: 'frames',

  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'fuzz-frames-'));
    const port = await freePort();
    const hub = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'edge-hub.js'), '--data-dir', join(dir, 'hub'), '--listen', `127.0.0.1:${port}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EDGE_LOG_LEVEL: 'error' },
      },
    );
    const ctx: Ctx = {
      dir,
      hub,
      url: '',
      tls: { ca: '', key: '', cert: '' },
      stderrTail: '',
      conn: undefined,
      cases: 0,
      abusiveClosed: 0,
      slowestDecodeMs: 0,
    };
    let out = '';
    hub.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4096)));
    hub.stderr?.on('data', (d: Buffer) => (ctx.stderrTail = (ctx.stderrTail + d.toString()).slice(-4096)));
    ctx.url = await until(
      'the hub to print its URL',
      () => {
        if (hub.exitCode !== null) throw new Error(`hub exited: ${ctx.stderrTail}`);
        return /serving (https:\/\/\S+)/.exec(out)?.[1];
      },
      30_000,
      50,
    );
    ctx.tls = await nodeCertificate(ctx.url, join(dir, 'hub'));
    return ctx;
  },

  arbitrary: () => fc.array(frame, { minLength: 1, maxLength: 4 }),

  async check(ctx, frames) {
    if (ctx.hub.exitCode !== null || ctx.hub.signalCode !== null)
      throw new Error(`the hub process died: ${ctx.stderrTail}`);
    ctx.cases++;
    for (const f of frames) {
      if (f.kind === 'oversize') {
        // A frame header declaring more than the hub's bound, on a connection of its own: closed
        // (1009) on the header, before any of the payload is buffered (so none is sent).
        const big = await Conn.connect(ctx.url, ctx.tls);
        const socket = (big.ws as unknown as { _socket: Socket })._socket;
        const header = Buffer.alloc(14);
        header[0] = 0x82; // FIN, binary
        header[1] = 0x80 | 127; // masked, 64-bit length
        header.writeBigUInt64BE(BigInt(MAX_NODE_FRAME_BYTES + 1), 2);
        socket.write(Buffer.concat([header, Buffer.alloc(64, 0x91)]));
        const closed = await withTimeout(
          big.closed,
          10_000,
          'the hub to close a connection sending an oversized frame',
        );
        if (closed.code !== 1009)
          throw new Error(`an oversized frame closed the connection with ${closed.code}, not 1009`);
        continue;
      }
      if (!ctx.conn?.open) ctx.conn = await Conn.open(ctx.url, ctx.tls);
      const conn = ctx.conn;
      const ms = decodeMs(f.bytes);
      ctx.slowestDecodeMs = Math.max(ctx.slowestDecodeMs, ms);
      if (ms > DECODE_BUDGET_MS)
        throw new Error(`a frame of ${f.bytes.byteLength} bytes took ${ms.toFixed(1)} ms to decode and validate`);
      if (!isValid(f.bytes)) conn.bad++;
      conn.ws.send(f.bytes);
    }
    const conn = ctx.conn;
    if (conn?.open) await conn.roundTrip(5000);
    if (conn && conn.bad > HUB_MAX_BAD_FRAMES) {
      const closed = await withTimeout(
        conn.closed,
        5000,
        `the hub to close a connection after ${conn.bad} invalid frames`,
      );
      if (closed.code !== 1008)
        throw new Error(`a connection sending garbage was closed with ${closed.code} (${closed.reason}), not 1008`);
      ctx.abusiveClosed++;
    }
    if (ctx.cases % 100 === 0) await healthz(ctx);
  },

  pids: (ctx) => {
    const pids: Record<string, number> = {};
    if (ctx.hub.pid !== undefined) pids.hub = ctx.hub.pid;
    return pids;
  },

  async teardown(ctx) {
    ctx.conn?.ws.terminate();
    if (ctx.hub.exitCode === null) {
      const exited = new Promise((resolve) => ctx.hub.once('exit', resolve));
      ctx.hub.kill('SIGTERM');
      await withTimeout(exited, 10_000, 'the hub to exit').catch(() => ctx.hub.kill('SIGKILL'));
    }
    await rm(ctx.dir, { recursive: true, force: true });
  },
};

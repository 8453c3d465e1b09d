/**
 * Fuzz target `agent-frames`: hostile hub→node frames sent to a real `edge-node` process
 * (bin/edge-node.js, built) by a fake hub: a `ws` server on 127.0.0.1 that checks the agent's join
 * token and `hello`, welcomes it, then sends one frame per case: random bytes, valid hub messages
 * encoded then mutated (bit flips, byte sets, inserts, deletes, truncation), and hostile msgpack
 * (deep nesting, lying lengths, extension types, reference bombs, records, bundled strings, wide maps).
 *
 * Properties, per case:
 * - the agent process is alive;
 * - an invalid frame is answered with an `error` frame, except the one past the agent's tolerance
 *   (10 a minute), after which the agent drops the connection and redials (bounded wait, polled);
 * - after every frame the agent still serves the hub: an `execRequest` for a pod it does not have is
 *   answered with an `execResult` naming the error (its inbox is serial, so the answer comes after
 *   the hostile frame was handled).
 *
 * Valid messages are chosen so that none starts a workload (no pods in `podSync`/`podUpsert`) and none
 * is a fatal `error` (a `DuplicateNode` refusal legitimately stops the agent for good).
 *
 * Throughput is bounded by the agent's own protection: past 10 bad frames it redials with a back-off
 * (0.5 s doubling, reset only after 10 s connected), so once that back-off would pass ~1 s the target
 * restarts the agent process instead of waiting (a fresh process has a fresh back-off). The bench's
 * peak RSS is therefore that of the agent process alive at the end of the run; teardown prints the
 * highest peak of all of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  GATEWAY_PATH,
  HubToNode,
  MAX_HUB_FRAME_VALUES,
  NodeToHub,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
} from '../../../src/api/index.js';
import { freePort, ROOT } from '../../support/cluster.js';
import { hostileMsgpack, mutate, mutation } from '../hostile-msgpack.js';
import type { FuzzTarget } from '../target.js';

/** The agent's address: a loopback address no e2e test uses, so its mesh port collides with none. */
const AGENT_ADDRESS = '127.0.44.2';
/** Invalid frames the agent tolerates within a minute before it redials (its `MAX_BAD_FRAMES`). */
const AGENT_MAX_BAD_FRAMES = 10;
/** Redials forced by bad frames one agent process may do before it is restarted (back-off 0.5 s, 1 s, …). */
const REDIALS_PER_PROCESS = 2;
const ANSWER_MS = 10_000;
const CONNECT_MS = 30_000;

/** One frame to send; printed short (a counterexample can be large). */
class Frame {
  constructor(readonly bytes: Uint8Array) {}
  [fc.toStringMethod](): string {
    const head = Buffer.from(this.bytes.subarray(0, 48)).toString('hex');
    return `<frame ${this.bytes.byteLength} bytes: ${head}${this.bytes.byteLength > 48 ? '…' : ''}>`;
  }
}
// A copy of its own (encodeFrame returns a view of msgpackr's reused buffer).
const bytesFrame = (bytes: Uint8Array): Frame => new Frame(Buffer.from(bytes));

/** The agent's current connection to the fake hub, welcomed, and what it has sent us. */
class AgentConn {
  /** Times (ms) of invalid frames sent on this connection (the agent drops it past 10 within a minute). */
  readonly badAt: number[] = [];
  closed = false;
  private readonly waiters = new Map<string, (msg: NodeToHub) => void>();
  private errorWaiter: (() => void) | undefined;
  private closeWaiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      let msg: NodeToHub;
      try {
        msg = decodeFrame(NodeToHub, data);
      } catch {
        return; // the agent's frames are the hub target's concern, not this one's
      }
      if (msg.type === 'execResult') this.waiters.get(msg.requestId)?.(msg);
      if (msg.type === 'error') this.errorWaiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    });
    ws.on('error', () => undefined);
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Resolves once the agent sent an `error` frame or closed the connection. */
  errorOrClose(): Promise<'error' | 'closed'> {
    return new Promise((resolve) => {
      this.errorWaiter = () => resolve('error');
      void this.whenClosed().then(() => resolve('closed'));
    }).finally(() => (this.errorWaiter = undefined)) as Promise<'error' | 'closed'>;
  }

  /** Asks the agent to exec in a pod it does not have; resolves with its answer, or 'closed'. */
  async execProbe(id: string): Promise<NodeToHub | 'closed'> {
    const answer = new Promise<NodeToHub>((resolve) => this.waiters.set(id, resolve));
    this.ws.send(
      encodeFrame({
        type: 'execRequest',
        requestId: id,
        pod: { namespace: 'fuzz', name: 'no-such-pod' },
        command: ['true'],
        timeoutSeconds: 1,
      } satisfies HubToNode),
    );
    try {
      return await Promise.race([answer, this.whenClosed().then(() => 'closed' as const)]);
    } finally {
      this.waiters.delete(id);
    }
  }
}

interface Ctx {
  dir: string;
  token: string;
  server: WebSocketServer;
  serverUrl: string;
  meshPort: number;
  agent: ChildProcess | undefined;
  stderrTail: string;
  conn: AgentConn | undefined;
  /** Resolvers waiting for the next welcomed connection. */
  connWaiters: ((c: AgentConn) => void)[];
  /** Problems the fake hub saw with a dial (bad token, bad hello): reported by the next check. */
  dialProblems: string[];
  redials: number;
  restarts: number;
  probes: number;
  /** Highest peak RSS (VmHWM, MB) of the agent processes stopped so far. */
  stoppedPeakRssMb: number;
}

/** Peak RSS (VmHWM) of a live process in MB; NaN when it is gone. */
function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
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

// ---- inputs -------------------------------------------------------------------------------------

const str = (max: number): fc.Arbitrary<string> => fc.string({ maxLength: max });
const podRef = fc.record({ namespace: str(12), name: str(20), uid: str(36) });
const podName = fc.record({ namespace: str(12), name: str(20) });
/** Valid hub→node messages that start no workload and never refuse the node for good. */
const validMessage: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    type: fc.constant('welcome'),
    protocol: fc.constant(PROTOCOL_VERSION),
    nodeName: fc.constant('fuzz-agent'),
    heartbeatIntervalSeconds: fc.constant(3600),
    meshToken: fc.constant('fuzz-mesh-token'),
  }),
  fc.record(
    { type: fc.constant('podSync'), pods: fc.constant([]), more: fc.boolean() },
    { requiredKeys: ['type', 'pods'] },
  ),
  fc.record({ type: fc.constant('podDelete'), pod: podRef }),
  fc.record({ type: fc.constant('serviceSync'), services: fc.constant([]) }),
  fc.record(
    {
      type: fc.constant('logRequest'),
      requestId: str(36),
      pod: podName,
      container: str(20),
      tailLines: fc.integer({ min: -5, max: 100 }),
      follow: fc.boolean(),
      previous: fc.boolean(),
      timestamps: fc.boolean(),
    },
    { requiredKeys: ['type', 'requestId', 'pod'] },
  ),
  fc.record({ type: fc.constant('logCancel'), requestId: str(36) }),
  fc.record({
    type: fc.constant('execRequest'),
    requestId: str(36),
    pod: podName,
    command: fc.array(str(20), { minLength: 1, maxLength: 4 }),
    timeoutSeconds: fc.constantFrom(0.5, 1, 5),
  }),
  fc.record({ type: fc.constant('error'), message: str(80) }),
);

const hostile = hostileMsgpack({
  validMessage,
  simple: { type: 'logCancel', key: 'requestId', value: 'r' },
  refBomb: (node) => ({ type: 'podDelete', pod: node }),
  pastBounds: [
    fc.integer({ min: 1020, max: 1030 }).map((n) =>
      encodeFrame({
        type: 'execRequest',
        requestId: 'r',
        pod: { namespace: 'fuzz', name: 'p' },
        command: Array.from({ length: n }, () => 'c'),
        timeoutSeconds: 1,
      }),
    ),
    // A podSync whose part flag is not a boolean, and one with a pod that is nothing like a Pod.
    fc.anything({ maxDepth: 3 }).map((more) => encodeFrame({ type: 'podSync', pods: [], more })),
    fc.anything({ maxDepth: 4 }).map((pod) => encodeFrame({ type: 'podSync', pods: [pod] })),
  ],
});

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 512 }).map(bytesFrame) },
  { weight: 3, arbitrary: validMessage.map((m) => bytesFrame(encodeFrame(m))) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([m, muts]) => bytesFrame(mutate(encodeFrame(m), muts))),
  },
  { weight: 4, arbitrary: hostile.map(bytesFrame) },
);

// ---- the agent and the fake hub -----------------------------------------------------------------

/** What the agent's frame decoder makes of a frame: the message, or undefined when it is invalid. */
function asAgentSees(bytes: Uint8Array): HubToNode | undefined {
  try {
    return decodeFrame(HubToNode, bytes, { maxValues: MAX_HUB_FRAME_VALUES });
  } catch {
    return undefined;
  }
}

function onDial(ctx: Ctx, ws: WebSocket, req: IncomingMessage): void {
  if (req.headers.authorization !== `Bearer ${ctx.token}`) {
    // Never print the header: it holds a token.
    ctx.dialProblems.push('the agent dialed without its join token in the authorization header');
    ws.close(1008, 'bad token');
    return;
  }
  ws.on('error', () => undefined);
  ws.once('message', (data: Buffer) => {
    let hello: NodeToHub;
    try {
      hello = decodeFrame(NodeToHub, data);
    } catch (err) {
      ctx.dialProblems.push(
        `the agent's first frame did not decode: ${err instanceof Error ? err.message : String(err)}`,
      );
      ws.close(1008, 'bad hello');
      return;
    }
    if (hello.type !== 'hello' || hello.protocol !== PROTOCOL_VERSION) {
      ctx.dialProblems.push(`the agent's first frame was ${hello.type}, not a hello of protocol ${PROTOCOL_VERSION}`);
      ws.close(1008, 'bad hello');
      return;
    }
    const conn = new AgentConn(ws);
    ws.send(
      encodeFrame({
        type: 'welcome',
        protocol: PROTOCOL_VERSION,
        nodeName: 'fuzz-agent',
        heartbeatIntervalSeconds: 3600,
        meshToken: 'fuzz-mesh-token',
      } satisfies HubToNode),
    );
    ctx.conn = conn;
    const waiters = ctx.connWaiters;
    ctx.connWaiters = [];
    for (const w of waiters) w(conn);
  });
}

function startAgent(ctx: Ctx): ChildProcess {
  const agent = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'edge-node.js'),
      '--server',
      ctx.serverUrl,
      '--token-file',
      join(ctx.dir, 'token'),
      '--data-dir',
      join(ctx.dir, 'node'),
      '--name',
      'fuzz-agent',
      '--address',
      AGENT_ADDRESS,
      '--mesh-port',
      String(ctx.meshPort),
      '--oci-runtime',
      'none',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  agent.stderr?.on('data', (d: Buffer) => (ctx.stderrTail = (ctx.stderrTail + d.toString()).slice(-4096)));
  ctx.agent = agent;
  return agent;
}

async function stopAgent(ctx: Ctx): Promise<void> {
  const agent = ctx.agent;
  if (!agent || agent.exitCode !== null || agent.signalCode !== null) return;
  const peak = peakRssMb(agent.pid);
  if (peak > ctx.stoppedPeakRssMb) ctx.stoppedPeakRssMb = peak;
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  agent.kill('SIGTERM');
  await withTimeout(exited, 10_000, 'the agent to exit').catch(() => agent.kill('SIGKILL'));
}

function agentDead(ctx: Ctx): string | undefined {
  const a = ctx.agent;
  if (a && (a.exitCode !== null || a.signalCode !== null))
    return `the agent process died (exit ${a.exitCode ?? a.signalCode}): ${ctx.stderrTail}`;
  return undefined;
}

/** The agent's next welcomed connection (after a redial or a restart), bounded by CONNECT_MS. */
async function nextConn(ctx: Ctx): Promise<AgentConn> {
  if (ctx.conn && !ctx.conn.closed) return ctx.conn;
  const conn = new Promise<AgentConn>((resolve) => ctx.connWaiters.push(resolve));
  const died = new Promise<never>((_, reject) =>
    ctx.agent?.once('exit', () => reject(new Error(agentDead(ctx) ?? 'the agent process died'))),
  );
  died.catch(() => undefined);
  return withTimeout(Promise.race([conn, died]), CONNECT_MS, 'the agent to redial the hub');
}

export const target: FuzzTarget<Ctx, Frame> = {
  name: 'agent-frames',

  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'fuzz-agent-frames-'));
    const token = randomBytes(24).toString('hex');
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: GATEWAY_PATH, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as { port: number };
    const ctx: Ctx = {
      dir,
      token,
      server,
      serverUrl: `http://127.0.0.1:${port}`,
      meshPort: await freePort(AGENT_ADDRESS),
      agent: undefined,
      stderrTail: '',
      conn: undefined,
      connWaiters: [],
      dialProblems: [],
      redials: 0,
      restarts: 0,
      probes: 0,
      stoppedPeakRssMb: 0,
    };
    server.on('connection', (ws, req) => onDial(ctx, ws, req));
    startAgent(ctx);
    await nextConn(ctx);
    return ctx;
  },

  arbitrary: () => frame,

  async check(ctx, f) {
    const dead = agentDead(ctx);
    if (dead) throw new Error(dead);
    let conn = await nextConn(ctx);
    const msg = asAgentSees(f.bytes);
    const now = Date.now();
    if (msg === undefined) conn.badAt.push(now);
    // The agent counts within a minute of its own clock: a few seconds' slack either way.
    const surely = conn.badAt.filter((t) => now - t < 55_000).length;
    const maybe = conn.badAt.filter((t) => now - t < 65_000).length;
    // A `welcome` re-sent by the fuzzer is taken as one: the connection stays.
    const answer = msg === undefined ? conn.errorOrClose() : undefined;
    conn.ws.send(f.bytes);
    if (answer) {
      const got = await withTimeout(answer, ANSWER_MS, 'the agent to answer an invalid frame with an error frame');
      if (got === 'closed' && maybe <= AGENT_MAX_BAD_FRAMES) {
        throw new Error(
          `the agent dropped the connection after ${maybe} invalid frames (it tolerates ${AGENT_MAX_BAD_FRAMES}): ${agentDead(ctx) ?? ctx.stderrTail.slice(-500)}`,
        );
      }
      if (got === 'error' && surely > AGENT_MAX_BAD_FRAMES + 1) {
        throw new Error(`the agent kept a connection that sent ${surely} invalid frames within a minute`);
      }
      if (got === 'closed') {
        ctx.redials++;
        if (ctx.redials % REDIALS_PER_PROCESS === 0) {
          // Its redial back-off only grows from here: a fresh process redials at once.
          await stopAgent(ctx);
          ctx.restarts++;
          startAgent(ctx);
        }
      }
    }
    // Liveness: whatever the frame did, the agent still serves exec requests (on this or its next connection).
    for (let attempt = 0; ; attempt++) {
      conn = await nextConn(ctx);
      const id = `probe-${++ctx.probes}`;
      const res = await withTimeout(conn.execProbe(id), ANSWER_MS, 'the agent to answer an execRequest');
      if (res !== 'closed') {
        if (res.type !== 'execResult' || !res.error)
          throw new Error(
            `an execRequest for a missing pod was answered without an error: ${JSON.stringify(res).slice(0, 200)}`,
          );
        break;
      }
      if (attempt >= 1)
        throw new Error(`the agent dropped the connection twice in a row on an execRequest: ${agentDead(ctx) ?? ''}`);
    }
    const problem = ctx.dialProblems.shift();
    if (problem) throw new Error(problem);
    const died = agentDead(ctx);
    if (died) throw new Error(died);
  },

  // A getter: the bench reads the pid after the run, when an earlier agent may have been replaced.
  pids: (ctx): Record<string, number> => {
    const pids = {};
    Object.defineProperty(pids, 'agent', { enumerable: true, get: () => ctx.agent?.pid ?? Number.NaN });
    return pids;
  },

  async teardown(ctx) {
    await stopAgent(ctx);
    if (ctx.restarts > 0) {
      // The bench's figure is of the last agent process only; the run restarted it to reset its redial back-off.
      process.stderr.write(
        `  agent-frames: ${ctx.restarts + 1} agent processes (restarted after every ${REDIALS_PER_PROCESS} forced redials), highest peak RSS ${ctx.stoppedPeakRssMb.toFixed(0)} MB\n`,
      );
    }
    for (const c of ctx.server.clients) c.terminate();
    await new Promise<void>((resolve) => ctx.server.close(() => resolve()));
    await rm(ctx.dir, { recursive: true, force: true });
  },
};

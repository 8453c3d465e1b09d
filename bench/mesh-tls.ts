/**
 * The mesh hop over mTLS vs the plain (insecure-token) hop, in one run (prints figures; not a test).
 * Real mesh classes over real sockets, each node in a process of its own:
 *   - node B (a child process): a container port (the pod) and two mesh servers onto it — one mTLS
 *     with node B's certificate, one plain HTTP with the mesh token;
 *   - node A (a child process): two NodePorts whose Service's endpoint is the pod on node B — one
 *     sending over mTLS with node A's certificate, one plain with the token;
 *   - this process: the cluster CA and the node certificates (handed to the children on stdin, never
 *     on a command line), and autocannon (keep-alive) against the pod directly and through each
 *     NodePort; then the mTLS mesh server's handshake rate (new connections/s, full and resumed).
 * "The hop" is what going through node A's NodePort and the mesh adds over reaching the pod directly;
 * mTLS vs plain is the difference of the two NodePorts. Ratios within one run: the machine is shared.
 *
 * The two NodePorts are measured in alternation, `--rounds` times each; the figures are the medians.
 *
 * Run: npx tsx bench/mesh-tls.ts [--seconds 10] [--connections 10] [--rounds 3] [--handshake-concurrency 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { connect, type TLSSocket } from 'node:tls';
import { silentLogger } from '../src/platform/index.js';
import type { MeshTlsMaterial } from '../src/edge-node/mesh/index.js';
import { TestPki } from '../src/edge-node/mesh/trust/testing/test-pki.js';
import {
  startReceiver,
  startSender,
  startUpstream,
  type RigSecurity,
} from '../src/edge-node/mesh/trust/testing/mesh-hop-rig.js';
import { arg, fmt, load, runBench, type LoadResult } from './wasm-support.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const HANDSHAKE_CONCURRENCY = arg('handshake-concurrency', 8);
const ROUNDS = arg('rounds', 3);

/** What a child is handed on stdin. */
interface ChildInput {
  tls: MeshTlsMaterial;
  /** Sender: the receiver's mesh ports. */
  meshPorts?: { mtls: number; plain: number };
}

/** A node process: reads its input on stdin, prints its ports as one JSON line, runs until killed. */
async function child(role: string): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const input = JSON.parse(text) as ChildInput;
  const logger = silentLogger();
  const mtls: RigSecurity = { transport: 'mtls', tls: input.tls };
  const plain: RigSecurity = { transport: 'insecure-token' };
  if (role === 'receiver') {
    const upstream = await startUpstream();
    const a = await startReceiver('node-b', mtls, upstream.port, logger);
    const b = await startReceiver('node-b', plain, upstream.port, logger);
    process.on('message', (msg) => {
      if (msg === 'handshakes') process.send?.(a.server.handshakes);
    });
    console.log(JSON.stringify({ upstream: upstream.port, mtls: a.port, plain: b.port }));
  } else {
    const ports = input.meshPorts!;
    const a = await startSender('node-a', mtls, [{ nodeName: 'node-b', meshPort: ports.mtls }], logger);
    const b = await startSender('node-a', plain, [{ nodeName: 'node-b', meshPort: ports.plain }], logger);
    console.log(JSON.stringify({ mtls: a.nodePort, plain: b.nodePort }));
  }
}

async function startChild<T>(role: string, input: ChildInput): Promise<{ proc: ChildProcess; ports: T }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--role', role], {
    stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
  });
  proc.stdin!.end(JSON.stringify(input));
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { proc, ports: JSON.parse(line.toString()) as T };
}

async function measure(label: string, url: string): Promise<LoadResult> {
  await load(url, CONNECTIONS, 2); // warm-up: pools fill, connections open, JIT warms
  const r = await load(url, CONNECTIONS, SECONDS);
  console.log(`${`${label}:`.padEnd(58)} ${fmt(r)}`);
  return r;
}

/**
 * New TLS connections per second to a mesh server, `HANDSHAKE_CONCURRENCY` at a time, each closed
 * once its handshake is done: full handshakes, or resumed from the first connection's session.
 */
async function handshakeRate(port: number, client: MeshTlsMaterial, resume: boolean): Promise<number> {
  const options = {
    host: '127.0.0.1',
    port,
    key: client.keyPem,
    cert: client.certPem,
    ca: client.caPem,
    checkServerIdentity: () => undefined,
  };
  const one = (session?: Buffer): Promise<Buffer | undefined> =>
    new Promise((resolve, reject) => {
      let got: Buffer | undefined;
      const s: TLSSocket = connect({ ...options, ...(session ? { session } : {}) }, () => {
        // TLS 1.3 sends its session tickets after the handshake: wait briefly for one when asked.
        if (resume && session === undefined) setTimeout(() => s.end(), 50);
        else s.end();
      });
      s.on('session', (t: Buffer) => (got = t));
      s.on('error', reject);
      s.on('close', () => resolve(got));
      s.resume();
    });
  const session = resume ? await one() : undefined;
  if (resume && session === undefined) throw new Error('the mesh server issued no session ticket');
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: HANDSHAKE_CONCURRENCY }, async () => {
      while (Date.now() < until) {
        await one(session);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function main(): Promise<void> {
  console.log(
    `edgeplane mesh hop, mTLS vs plain — node ${process.version}, ${SECONDS}s per run, ${CONNECTIONS} connections, ` +
      `each node its own process on one machine`,
  );
  const pki = await TestPki.create();
  const [tlsA, tlsB, tlsC] = await Promise.all([pki.node('node-a'), pki.node('node-b'), pki.node('node-c')]);
  const receiver = await startChild<{ upstream: number; mtls: number; plain: number }>('receiver', { tls: tlsB });
  const sender = await startChild<{ mtls: number; plain: number }>('sender', {
    tls: tlsA,
    meshPorts: { mtls: receiver.ports.mtls, plain: receiver.ports.plain },
  });
  try {
    const direct = await measure(
      'the pod directly (no NodePort, no hop)',
      `http://127.0.0.1:${receiver.ports.upstream}/`,
    );
    const runs: Record<'plain' | 'mtls', LoadResult[]> = { plain: [], mtls: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const first = round % 2 === 1 ? (['plain', 'mtls'] as const) : (['mtls', 'plain'] as const);
      for (const kind of first) {
        const label =
          kind === 'plain' ? 'NodePort on A → plain hop (token) → pod on B' : 'NodePort on A → mTLS hop → pod on B';
        runs[kind].push(await measure(`${label}, round ${round}`, `http://127.0.0.1:${sender.ports[kind]}/`));
      }
    }
    receiver.proc.send('handshakes');
    const [counts] = (await once(receiver.proc, 'message')) as [{ full: number; resumed: number }];
    console.log(`mTLS mesh server handshakes during the load runs: ${counts.full} full, ${counts.resumed} resumed`);
    const full = await handshakeRate(receiver.ports.mtls, tlsC, false);
    const resumed = await handshakeRate(receiver.ports.mtls, tlsC, true);
    console.log(
      `mTLS mesh server handshake rate (${HANDSHAKE_CONCURRENCY} at a time, client in this process): ` +
        `${full.toFixed(0)} full/s, ${resumed.toFixed(0)} resumed/s`,
    );
    const p = median(runs.plain);
    const m = median(runs.mtls);
    const ms = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;
    console.log(
      `medians of ${ROUNDS} rounds — the hop's added latency at p50 (NodePort + hop vs the pod directly): plain ${ms(p.p50 - direct.p50)}, mTLS ${ms(m.p50 - direct.p50)}; ` +
        `mTLS vs plain: ${ms(m.p50 - p.p50)} at p50, ${ms(m.p99 - p.p99)} at p99`,
    );
    console.log(
      `NodePort → remote pod throughput (medians): mTLS ${m.rps.toFixed(0)} req/s = ${((100 * m.rps) / p.rps).toFixed(1)}% of plain (${p.rps.toFixed(0)} req/s); errors ${p.errors + p.non2xx + m.errors + m.non2xx}`,
    );
  } finally {
    sender.proc.kill();
    receiver.proc.kill();
  }
}

/** The median of each figure over runs (errors summed). */
function median(runs: readonly LoadResult[]): LoadResult {
  const mid = (f: (r: LoadResult) => number): number => {
    const v = runs.map(f).sort((x, y) => x - y);
    return v[Math.floor(v.length / 2)]!;
  };
  return {
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}

if (process.argv[2] === '--role') {
  child(process.argv[3] ?? '').catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  runBench(main);
}

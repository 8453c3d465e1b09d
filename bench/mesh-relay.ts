/**
 * The mesh relay's added latency (issue 20): the same request through node A's NodePort to the pod on
 * node B, directly over the mTLS hop and relayed through the hub (`--mesh-relay always`), in one run
 * (prints figures; not a test). Real classes over real sockets in this process: the pod (a container
 * port), node B's mTLS mesh server and relay listener, the hub's `MeshRelay` behind TLS with node
 * certificates, node A's NodePorts (one dialing directly, one through the relay).
 *
 * Two figures per path: requests on kept-alive connections (sequential, alternating direct and
 * relayed, `--requests` each), and the first request on a new connection (`--fresh` new senders each:
 * TCP + TLS directly, or the relay's two WebSockets + the nodes' TLS inside). p50/p99 and the ratios.
 * A third path for new connections: dialed at a second hub on which node B has no listener, which
 * sends the dial on to the hub node B is on (several hubs: one more TLS round to a hub).
 *
 * Run: npx tsx bench/mesh-relay.ts [--requests 2000] [--fresh 30]
 */
import { request } from 'undici';
import { silentLogger } from '../src/platform/index.js';
import { RelayDialer, RelayListener } from '../src/edge-node/mesh/index.js';
import { TestPki } from '../src/edge-node/mesh/trust/testing/test-pki.js';
import { startReceiver, startSender, startUpstream } from '../src/edge-node/mesh/trust/testing/mesh-hop-rig.js';
import { startRelayHub } from '../src/edge-node/mesh/relay/testing/relay-hub-rig.js';
import { arg } from './wasm-support.js';

const REQUESTS = arg('requests', 2000);
const FRESH = arg('fresh', 30);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timed(port: number, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await request(`http://127.0.0.1:${port}${path}`);
  const body = await res.body.text();
  if (res.statusCode !== 200 || !body.startsWith('reached')) throw new Error(`${res.statusCode} ${body}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const logger = silentLogger();
  const pki = await TestPki.create();
  const hub = await startRelayHub(pki.ca);
  // A second hub of the cluster whose presence says node B is on `hub`.
  const other = await startRelayHub(
    pki.ca,
    {},
    {
      hubOf: (n) => (n === 'node-b' ? hub.base : undefined),
      connectedHere: () => false,
    },
  );
  const upstream = await startUpstream();
  const bTls = await pki.node('node-b');
  const aTls = await pki.node('node-a');
  const receiver = await startReceiver('node-b', { transport: 'mtls', tls: bTls }, upstream.port, logger);
  const listener = new RelayListener({
    link: hub.link(bTls),
    logger,
    meshTarget: () => ({ host: '127.0.0.1', port: receiver.port }),
  });
  listener.start();
  while (!listener.open) await new Promise((r) => setTimeout(r, 20));
  const endpoint = [{ nodeName: 'node-b', meshPort: receiver.port }];
  const dialers = {
    direct: undefined,
    relayed: () => new RelayDialer({ link: hub.link(aTls), mode: 'always' }),
    redirected: () => new RelayDialer({ link: other.link(aTls, [other.base, hub.base]), mode: 'always' }),
  };
  const sender = (path: keyof typeof dialers): ReturnType<typeof startSender> =>
    startSender('node-a', { transport: 'mtls', tls: aTls }, endpoint, logger, dialers[path]?.());
  const direct = await sender('direct');
  const relayed = await sender('relayed');
  for (let i = 0; i < 200; i++) {
    await timed(direct.nodePort, '/warm');
    await timed(relayed.nodePort, '/warm');
  }
  const kept = { direct: [] as number[], relayed: [] as number[] };
  for (let i = 0; i < REQUESTS; i++) {
    kept.direct.push(await timed(direct.nodePort, `/k/${i}`));
    kept.relayed.push(await timed(relayed.nodePort, `/k/${i}`));
  }
  const fresh = { direct: [] as number[], relayed: [] as number[], redirected: [] as number[] };
  for (let i = 0; i < FRESH; i++) {
    for (const path of ['direct', 'relayed', 'redirected'] as const) {
      const s = await sender(path);
      fresh[path].push(await timed(s.nodePort, `/f/${i}`));
      await s.close();
    }
  }
  const line = (what: string, d: number[], r: number[]): string => {
    const [d50, d99, r50, r99] = [pct(d, 50), pct(d, 99), pct(r, 50), pct(r, 99)];
    return (
      `${what}: direct p50 ${d50.toFixed(2)} ms p99 ${d99.toFixed(2)} ms | relayed p50 ${r50.toFixed(2)} ms ` +
      `p99 ${r99.toFixed(2)} ms | relayed/direct p50 ${(r50 / d50).toFixed(2)}x p99 ${(r99 / d99).toFixed(2)}x ` +
      `(+${(r50 - d50).toFixed(2)} ms at p50)`
    );
  };
  console.log(`mesh relay through the hub, ${REQUESTS} kept-alive requests and ${FRESH} new connections per path`);
  console.log(line('kept-alive connection', kept.direct, kept.relayed));
  console.log(line('new connection (first request)', fresh.direct, fresh.relayed));
  const [r50, x50, x99] = [pct(fresh.relayed, 50), pct(fresh.redirected, 50), pct(fresh.redirected, 99)];
  console.log(
    `new connection dialed at another hub and sent on (several hubs): p50 ${x50.toFixed(2)} ms p99 ${x99.toFixed(2)} ms ` +
      `(+${(x50 - r50).toFixed(2)} ms over relayed at p50; ${other.relay.stats.redirected} redirects)`,
  );
  const st = hub.relay.stats;
  console.log(
    `hub relay: ${st.opened} connections joined, ${(st.bytes / 1024).toFixed(0)} KiB moved, ${st.refused} refused`,
  );
  await direct.close();
  await relayed.close();
  listener.stop();
  await receiver.close();
  await upstream.close();
  await hub.close();
  await other.close();
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

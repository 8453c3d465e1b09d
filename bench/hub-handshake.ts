/**
 * The hub's TLS handshake rate (prints figures; not a test). A real `edge-hub` process serving TLS as
 * shipped (its own CA and serving certificate, ECDSA P-256); this process opens new connections to it,
 * `--concurrency` at a time, for `--seconds` each:
 *   - server-authenticated handshakes, as edgectl and kubectl open them;
 *   - mutual TLS with a client certificate, as nodes connect to the gateway and certificate users to
 *     the API;
 *   - a whole first request on a new connection: `GET /version` (no credentials), and
 *     `GET /api/v1/namespaces` authenticated by the client certificate — what a reconnect storm costs
 *     per client before any real work.
 * For each: connections/s and the hub's CPU per connection (from /proc/<pid>/stat), which says how many
 * nodes a core can admit per second when they all come back at once. The hub issues no resumable
 * session (`tls/hub-tls.ts`): a ticket offered back must give a full handshake, which it checks.
 *
 * Run: npx tsx bench/hub-handshake.ts [--seconds 5] [--concurrency 16]   (after npm run build)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { userClientCert } from '../src/pki/testing/index.js';
import { Cluster } from '../test/support/cluster.js';
import { arg } from './wasm-support.js';

const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 16);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the process `pid` has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

type One = () => Promise<void>;

/** A connection that completes its handshake and closes. */
function handshakeOnly(options: ConnectionOptions): One {
  return () =>
    new Promise((resolve, reject) => {
      const s: TLSSocket = connect(options, () => s.end());
      s.on('error', reject);
      s.on('close', () => resolve());
      s.resume();
    });
}

/**
 * Whether a connection offering back the ticket of an earlier one was resumed (it must not be: the hub
 * keeps no session, so a resumed connection would mean it went back to issuing stateless tickets).
 * Throws when no ticket came at all: TLS 1.3 still sends a stateful one, so that would be a change too.
 */
async function resumes(options: ConnectionOptions): Promise<boolean> {
  const open = (session?: Buffer) =>
    new Promise<{ ticket?: Buffer; resumed: boolean }>((resolve, reject) => {
      let ticket: Buffer | undefined;
      let resumed = false;
      const s: TLSSocket = connect({ ...options, ...(session ? { session } : {}) }, () => {
        resumed = s.isSessionReused(); // known once the handshake is done; not after the close
        // TLS 1.3 sends tickets just after the handshake: give the connection a moment to get one.
        setTimeout(() => s.end(), 30);
      });
      s.on('session', (t: Buffer) => (ticket = t));
      s.on('error', reject);
      s.on('close', () => resolve({ ...(ticket ? { ticket } : {}), resumed }));
      s.resume();
    });
  const first = await open();
  if (first.ticket === undefined)
    throw new Error('the hub sent no session ticket at all (TLS 1.3 sends a stateful one)');
  return (await open(first.ticket)).resumed;
}

/** A connection that sends one HTTP/1.1 request, reads the whole answer and closes. */
function firstRequest(options: ConnectionOptions, path: string, token?: string): One {
  const auth = token !== undefined ? `Authorization: Bearer ${token}\r\n` : '';
  return () =>
    new Promise((resolve, reject) => {
      let text = '';
      const s: TLSSocket = connect(options, () => {
        s.write(`GET ${path} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\nAccept: application/json\r\n${auth}\r\n`);
      });
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('error', reject);
      s.on('close', () => {
        const status = /^HTTP\/1\.1 (\d+)/.exec(text)?.[1];
        if (status !== '200') reject(new Error(`GET ${path} answered ${status ?? 'nothing'}`));
        else resolve();
      });
    });
}

interface Rate {
  perSecond: number;
  hubCpuMsPer: number;
}

async function rate(hubPid: number, one: One): Promise<Rate> {
  for (let i = 0; i < CONCURRENCY; i++) await one(); // warm-up
  let done = 0;
  const cpu0 = cpuSeconds(hubPid);
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await one();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(hubPid) - cpu0;
  return { perSecond: done / elapsed, hubCpuMsPer: (cpu * 1000) / done };
}

async function main(): Promise<void> {
  console.log(
    `edgeplane hub TLS handshakes — node ${process.version}, ${SECONDS}s per run, ${CONCURRENCY} concurrent, ` +
      'hub and client on one machine',
  );
  const cluster = new Cluster();
  try {
    await cluster.startHub();
    const hubPid = cluster.hub!.child.pid!;
    const url = new URL(cluster.url);
    const caPem = readFileSync(cluster.caFile, 'utf8');
    const ca = { certPem: caPem, keyPem: readFileSync(join(cluster.hubDir, 'pki', 'ca.key'), 'utf8') };
    const { certPem, keyPem } = await userClientCert(ca, 'bench-user', ['system:masters']);
    const server: ConnectionOptions = {
      host: url.hostname,
      port: Number(url.port),
      ca: caPem,
      servername: 'localhost',
    };
    const mutual: ConnectionOptions = { ...server, key: keyPem, cert: certPem };
    if ((await resumes(server)) || (await resumes(mutual))) throw new Error('the hub resumed a TLS session');
    const rows: Array<[string, Rate]> = [
      ['server-auth handshake, full', await rate(hubPid, handshakeOnly(server))],
      ['mutual TLS handshake, full', await rate(hubPid, handshakeOnly(mutual))],
      ['new connection + GET /version (no authn)', await rate(hubPid, firstRequest(server, '/version'))],
      [
        'new connection + first GET (bearer token)',
        await rate(hubPid, firstRequest(server, '/api/v1/namespaces', cluster.adminToken)),
      ],
      ['new connection + first GET (client cert)', await rate(hubPid, firstRequest(mutual, '/api/v1/namespaces'))],
    ];
    console.log('session resumption: none (a ticket offered back gets a full handshake)');
    console.log(`${'connection'.padEnd(44)} ${'conn/s'.padStart(8)} ${'hub CPU/conn'.padStart(14)}`);
    for (const [label, r] of rows)
      console.log(
        `${label.padEnd(44)} ${r.perSecond.toFixed(0).padStart(8)} ${`${r.hubCpuMsPer.toFixed(2)} ms`.padStart(14)}`,
      );
  } finally {
    await cluster.stop();
  }
}

await main();

/**
 * The shared setup of the mesh-tls-*.test.ts files: a cluster CA, a container port upstream and a
 * receiving node `node-b` over mTLS whose handshake refusals are recorded, for the file's tests;
 * senders and extra servers a test starts are closed after it. Also a GET through a sender's NodePort.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { TestPki } from './test-pki.js';
import {
  startReceiver,
  startSender,
  startUpstream,
  type RigReceiver,
  type RigSecurity,
  type RigSender,
  type RigUpstream,
} from './mesh-hop-rig.js';

/** What {@link meshTlsSuite} gives a test file (`pki`, `upstream` and `receiver` set before its tests). */
export interface MeshTlsSuite {
  readonly pki: TestPki;
  readonly upstream: RigUpstream;
  /** `node-b`'s mesh server over mTLS, delivering to {@link upstream}. */
  readonly receiver: RigReceiver;
  /** Why the receiving node refused handshakes, as it logs them (debug). */
  readonly refusals: string[];
  /** Run after each test, last pushed first. */
  readonly cleanups: Array<() => Promise<void>>;
  /** Starts another receiving node's mesh server (onto {@link upstream} by default), closed after the test. */
  readonly startPeer: (nodeName: string, security: RigSecurity, upstreamPort?: number) => Promise<RigReceiver>;
  /** Starts a sender ({@link startSender}) that is closed after the test. */
  readonly sender: (...args: Parameters<typeof startSender>) => Promise<RigSender>;
}

/** Registers the file's set-up and tear-down and returns what its tests use. */
export function meshTlsSuite(): MeshTlsSuite {
  let pki: TestPki;
  let upstream: RigUpstream;
  let receiver: RigReceiver;
  const refusals: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    pki = await TestPki.create();
    upstream = await startUpstream();
    const logger = pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg?: string; err?: string };
          if (entry.msg === 'mesh TLS handshake refused') refusals.push(String(entry.err));
        },
      },
    );
    receiver = await startReceiver(
      'node-b',
      { transport: 'mtls', tls: await pki.node('node-b') },
      upstream.port,
      logger,
    );
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await receiver.close();
    await upstream.close();
  });

  return {
    get pki() {
      return pki;
    },
    get upstream() {
      return upstream;
    },
    get receiver() {
      return receiver;
    },
    refusals,
    cleanups,
    startPeer: async (nodeName, security, upstreamPort = upstream.port) => {
      const r = await startReceiver(nodeName, security, upstreamPort);
      cleanups.push(() => r.close());
      return r;
    },
    sender: async (...args) => {
      const s = await startSender(...args);
      cleanups.push(() => s.close());
      return s;
    },
  };
}

/** A GET through a sender's NodePort (plain HTTP, as a client outside the cluster sends it). */
export async function viaNodePort(
  sender: RigSender,
  path = '/hello',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${sender.nodePort}${path}`, { headers });
  return { status: res.status, body: await res.text() };
}

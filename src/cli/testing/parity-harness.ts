/**
 * A real hub app with the real kubectl pointed at it, for tests that run a command through edgectl
 * and through kubectl and compare what they print. kubectl sends a bearer token only over TLS and the
 * test hub serves plain HTTP, so a TLS front on loopback (a throw-away CA, a certificate for
 * 127.0.0.1) passes kubectl's bytes to the hub. The token sits in a 0600 kubeconfig, never on a
 * command line.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { createCa, generateKeyPair, issueCertificate } from '../../pki/index.js';
import { run } from '../main.js';
import { captureIO } from './io.js';

/** The real kubectl (v1.32 on the reference machine). */
export const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/** What a command printed and how it exited. */
export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** A hub that edgectl and kubectl both talk to. */
export interface ParityHub {
  hub: TestHub;
  /** A scratch directory (HOME and cwd of both CLIs). */
  dir: string;
  kubeconfig: string;
  /** edgectl in-process; `env` adds to (or overrides) its environment. */
  edgectl(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<Ran>;
  /** The real kubectl as a process; `env` adds to its environment. */
  kubectl(args: string[], opts?: { env?: Record<string, string> }): Promise<Ran>;
  close(): Promise<void>;
}

/** Runs `command` as a process (no stdin) and collects its exit code and output. */
export function runProcess(command: string, args: string[], opts: SpawnOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function tlsFront(target: URL): Promise<{ server: Server; url: string; caPem: string }> {
  const now = new Date();
  const ca = await createCa({ commonName: 'parity-test-ca', lifetimeSeconds: 3600, now });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'parity-hub',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now,
  });
  const server = createServer({ key: keys.privateKeyPem, cert }, (sock) => {
    const up = connect(Number(target.port), target.hostname);
    sock.pipe(up).pipe(sock);
    sock.on('error', () => up.destroy());
    up.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: ca.certPem };
}

/** Starts the hub, the TLS front and the kubeconfig. */
export async function startParityHub(): Promise<ParityHub> {
  if (!existsSync(KUBECTL)) throw new Error(`these tests compare with the real kubectl: none at ${KUBECTL}`);
  const hub = await startTestHub({ version: 'v0.1.0-parity' });
  const dir = await mkdtemp(join(tmpdir(), 'edgectl-parity-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const tls = await tlsFront(new URL(hub.url));
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'hub',
          cluster: { server: tls.url, 'certificate-authority-data': Buffer.from(tls.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'admin', user: { token: hub.adminToken } }],
      contexts: [{ name: 'hub', context: { cluster: 'hub', user: 'admin', namespace: 'default' } }],
      'current-context': 'hub',
    }),
    { mode: 0o600 },
  );
  return {
    hub,
    dir,
    kubeconfig,
    async edgectl(args, opts = {}) {
      const io = captureIO({
        env: { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir, ...opts.env },
        cwd: dir,
        ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
      });
      const code = await run(args, io);
      return { code, out: io.out(), err: io.errText() };
    },
    kubectl(args, opts = {}) {
      return runProcess(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...opts.env },
      });
    },
    async close() {
      tls.server.close();
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * TLS by default and the CA-pinned join (issue 13), with real processes: a TLS hub, nodes joining with
 * its `K10<ca-hash>::<secret>` token, edgectl and kubectl reading the hub's kubeconfig, a node refusing
 * a hub whose CA is not the pinned one before it sends the token, and the serving certificate renewed
 * (lifetime of seconds) while a watch and a node session stay connected.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caHash,
  certificateInfo,
  createCa,
  generateKeyPair,
  issueCertificate,
  parseJoinToken,
} from '../src/pki/index.js';
import { Cluster, Proc, ROOT, freePort, httpGet, kind, until } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const NODE = { name: 'tls-1', address: '127.0.31.2' };

/** Runs a bin to completion with exactly `env` (plus PATH/HOME), capturing its output. */
async function run(
  bin: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const p = new Proc(
    spawn(bin.endsWith('.js') ? process.execPath : bin, bin.endsWith('.js') ? [bin, ...args] : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    }),
  );
  const code = await p.exited;
  return { code, out: p.out, err: p.err };
}

/** The serial of the certificate the hub presents to a new TLS connection now. */
async function presentedSerial(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => {
      const serial = s.getPeerCertificate().serialNumber.toLowerCase();
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

describe('TLS by default and the CA-pinned join', () => {
  const cluster = new Cluster();

  beforeAll(async () => {
    await cluster.start([NODE]);
  }, 120_000);
  afterAll(() => cluster.stop());

  it('serves https, writes a K10 join token pinning its CA, and the node stored that CA', () => {
    expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(cluster.caFile, 'utf8');
    const token = parseJoinToken(readFileSync(join(cluster.hubDir, 'join.token'), 'utf8'));
    expect(token.caHash).toBe(caHash(ca));
    expect(readFileSync(join(cluster.node(NODE.name).dataDir, 'pki', 'hub-ca.crt'), 'utf8')).toBe(ca);
    // The startup message says where the credentials are, never what they are.
    expect(cluster.hub!.out).toContain(`export EDGE_CONFIG=${join(cluster.hubDir, 'admin.kubeconfig')}`);
    expect(cluster.hub!.out).not.toContain(token.secret);
    expect(cluster.hub!.out).not.toContain(cluster.adminToken);
  });

  it('a node joined with the pinned token runs a pod whose component it downloaded over TLS', async () => {
    const manifest = wasmServiceManifest({ name: 'tls-web', image: HELLO, replicas: 1, nodePort: 30481 });
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const res = await until(
      'tls-web answering on its NodePort',
      async () => {
        const got = await httpGet(`http://${NODE.address}:30481/`);
        return got.status === 200 ? got : undefined;
      },
      60_000,
    );
    expect(res.body).toContain('tls-web');
  }, 90_000);

  it('edgectl and kubectl work with the hub-written kubeconfig alone', async () => {
    const kubeconfig = join(cluster.hubDir, 'admin.kubeconfig');
    const r = await run(join(ROOT, 'bin', 'edgectl.js'), ['get', 'nodes'], { EDGE_CONFIG: kubeconfig });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(NODE.name);
    if (existsSync('/usr/bin/kubectl')) {
      const k = await run('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes'], {});
      expect(k.code, k.err).toBe(0);
      expect(k.out).toContain(NODE.name);
    }
  });

  it('edgectl without the CA fails with an error naming the server and the reason', async () => {
    const config = join(cluster.dir, 'no-ca.config');
    writeFileSync(
      config,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cluster.url } }],
        users: [{ name: 'u', user: { token: cluster.adminToken } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
      { mode: 0o600 },
    );
    const r = await run(join(ROOT, 'bin', 'edgectl.js'), ['get', 'nodes'], { EDGE_CONFIG: config });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`cannot reach the hub at ${cluster.url}`);
    expect(r.err).toContain("TLS: the hub's certificate is not signed by a trusted CA");
    expect(r.err).toContain('EDGE_CA_FILE');
    expect(r.err).not.toContain(cluster.adminToken);
  });

  it('a node given a hub whose CA is not the pinned one exits 1 having sent no token', async () => {
    // An impostor: a TLS server with a CA of its own, recording every request it gets.
    const other = await createCa({ commonName: 'impostor-ca', lifetimeSeconds: 3600, now: new Date() });
    const keys = await generateKeyPair();
    const cert = await issueCertificate({
      ca: other,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'impostor',
      ipAddresses: ['127.0.0.1'],
      usages: ['server'],
      lifetimeSeconds: 3600,
      now: new Date(),
    });
    const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown> }> = [];
    const impostor: Server = createHttpsServer({ cert, key: keys.privateKeyPem }, (req, res) => {
      seen.push({ method: req.method, url: req.url, headers: { ...req.headers } });
      if (req.url === '/cacerts') res.end(other.certPem);
      else res.writeHead(401).end();
    });
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    const port = (impostor.address() as AddressInfo).port;
    try {
      const tokenFile = join(cluster.hubDir, 'join.token');
      const secret = parseJoinToken(readFileSync(tokenFile, 'utf8')).secret;
      const r = await run(
        join(ROOT, 'bin', 'edge-node.js'),
        [
          '--server',
          `https://127.0.0.1:${port}`,
          '--token-file',
          tokenFile,
          '--name',
          'lured',
          '--address',
          '127.0.31.9',
          '--mesh-port',
          String(await freePort('127.0.31.9')),
          '--data-dir',
          join(cluster.dir, 'lured'),
        ],
        { EDGE_LOG_LEVEL: 'warn' },
      );
      expect(r.code).toBe(1);
      expect(r.err).toContain(`presented a CA with sha256 ${caHash(other.certPem)}`);
      expect(r.err).toContain('refusing to join (the join token was not sent)');
      // All the impostor ever got: one anonymous GET /cacerts. No token, no WebSocket, no blob request.
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /cacerts']);
      expect(seen[0]?.headers.authorization).toBeUndefined();
      expect(JSON.stringify(seen)).not.toContain(secret);
      expect(existsSync(join(cluster.dir, 'lured', 'pki', 'hub-ca.crt'))).toBe(false);
    } finally {
      impostor.close();
    }
  }, 60_000);

  it('a bare token needs --ca-file, and joins with it', async () => {
    const secret = parseJoinToken(readFileSync(join(cluster.hubDir, 'join.token'), 'utf8')).secret;
    const args = (name: string, address: string, port: number): string[] => [
      '--server',
      cluster.url,
      '--name',
      name,
      '--address',
      address,
      '--mesh-port',
      String(port),
      '--data-dir',
      join(cluster.dir, name),
    ];
    const refused = await run(
      join(ROOT, 'bin', 'edge-node.js'),
      args('bare-1', '127.0.31.10', await freePort('127.0.31.10')),
      {
        EDGE_JOIN_TOKEN: secret,
        EDGE_LOG_LEVEL: 'warn',
      },
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the join token carries no CA hash');
    expect(refused.err).toContain('--ca-file');

    const joined = new Proc(
      spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'edge-node.js'),
          ...args('bare-2', '127.0.31.11', await freePort('127.0.31.11')),
          '--ca-file',
          cluster.caFile,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_JOIN_TOKEN: secret, EDGE_LOG_LEVEL: 'warn' } },
      ),
    );
    try {
      await cluster.waitNodesReady(['bare-2']);
    } finally {
      await joined.kill();
    }
    await cluster.client.delete(kind('nodes'), undefined, 'bare-2').catch(() => undefined);
  }, 60_000);
});

describe('serving certificate renewal', () => {
  // A serving certificate living 6 s is renewed about every 4 s.
  const cluster = new Cluster(['--serving-cert-lifetime', '6s', '--heartbeat-interval', '500ms']);
  const RENEW_NODE = { name: 'tls-r1', address: '127.0.31.20' };

  beforeAll(async () => {
    await cluster.start([RENEW_NODE]);
  }, 120_000);
  afterAll(() => cluster.stop());

  it('renews without dropping a watch or the node session; new connections get the new certificate', async () => {
    const ca = cluster.caPem!;
    const servingFile = join(cluster.hubDir, 'pki', 'serving.crt');
    const first = certificateInfo(readFileSync(servingFile, 'utf8'));
    expect(first.notAfter.getTime() - first.notBefore.getTime()).toBeLessThanOrEqual(7_000);

    // One long-lived watch over one TLS connection, read by hand so a reconnect could not hide.
    const abort = new AbortController();
    const res = await cluster.hubFetch('/api/v1/namespaces?watch=true', {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    let text = '';
    let ended = false;
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
      } catch {
        // aborted at the end of the test
      }
      ended = true;
    })();

    // Two renewals: the file changes twice, and a new handshake presents the newest certificate.
    const serials = new Set([first.serial]);
    await until(
      'two renewals of the serving certificate',
      () => {
        serials.add(certificateInfo(readFileSync(servingFile, 'utf8')).serial);
        return serials.size >= 3;
      },
      30_000,
      200,
    );
    const current = certificateInfo(readFileSync(servingFile, 'utf8')).serial;
    await until(
      'a new connection to get the current certificate',
      async () => (await presentedSerial(cluster.url, ca)) === current || undefined,
      10_000,
      100,
    );

    // The watch opened before the renewals still delivers, on the same stream.
    await cluster.client.create(kind('namespaces'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'after-renewal' },
    });
    await until('the old watch to see the new namespace', () => text.includes('"after-renewal"'), 10_000, 50);
    expect(ended).toBe(false);

    // The node stayed connected throughout: Ready, and its session never closed.
    await cluster.waitNodesReady([RENEW_NODE.name]);
    expect(cluster.node(RENEW_NODE.name).proc.err).not.toContain('hub connection closed');
    expect(cluster.node(RENEW_NODE.name).proc.err).not.toContain('hub connection error');
    abort.abort();
    await reading;
  }, 90_000);
});

/**
 * Per-node identity with real processes over real TLS (issue 13): an HTTPS hub signing node
 * certificates with lifetimes of seconds, and edge-node agents that join with the pinned join token,
 * keep their key and certificate in `<data-dir>/pki/`, restart without a token, rotate under load
 * without dropping their session, are refused when another key holds their name, keep working when
 * the bootstrap token is gone, and are locked out everywhere once their Node is deleted.
 *
 * One hub for the file; the tests run in order and build on each other (the node that joins first is
 * the one that rotates, restarts and is finally deleted).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  BLOB_PATH,
  GATEWAY_PATH,
  NODE_CERTIFICATE_PATH,
  hubImageRef,
  parseHubImageRef,
  type KubeObject,
  type Node,
  type Pod,
} from '../src/api/index.js';
import { EdgeClient } from '../src/cli/index.js';
import { HubSession, type SessionEvent } from '../src/edge-node/index.js';
import { silentLogger } from '../src/platform/index.js';
import { certificateInfo } from '../src/pki/index.js';
import { Load } from './support/load.js';
import { wasmServiceManifest } from './support/manifests.js';
import { Proc, ROOT, freePort, kind, until } from './support/cluster.js';

const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
/** Node certificates live 9 s: renewed about every 6 s. */
const NODE_CERT_LIFETIME = '9s';
const A = { name: 'pki-a', address: '127.0.29.2' };
const NODE_PORT = 30913;
const ANNOTATION = 'edgeplane.io/node-credential-keys';

const dir = mkdtempSync(join(tmpdir(), 'edge-pki-'));
const hubDir = join(dir, 'hub');
let hubPort = 0;
let hub: Proc | undefined;
let url = '';
let client: EdgeClient;
const procs: Proc[] = [];

const caPem = (): string => readFileSync(join(hubDir, 'pki', 'ca.crt'), 'utf8');

async function startHub(): Promise<void> {
  hubPort ||= await freePort();
  const proc = new Proc(
    spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'edge-hub.js'),
        '--data-dir',
        hubDir,
        '--listen',
        `127.0.0.1:${hubPort}`,
        '--heartbeat-interval',
        '500ms',
        '--node-cert-lifetime',
        NODE_CERT_LIFETIME,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'warn' } },
    ),
  );
  hub = proc;
  url = await until('the hub to print its https URL', () => {
    if (!proc.alive) throw new Error(`hub exited: ${proc.err}`);
    return /serving (https:\/\/\S+)/.exec(proc.out)?.[1];
  });
  await client?.close();
  const adminToken = readFileSync(join(hubDir, 'admin.token'), 'utf8').trim();
  client = new EdgeClient({ server: url, token: adminToken, ca: caPem(), userAgent: 'edge-e2e' });
}

/**
 * Starts an agent: with a join token file (it pins the hub's CA from the token, then bootstraps), or
 * with `token: false`, no bootstrap token at all (a joined node: its pinned CA and certificate only).
 */
async function startNode(opts: {
  name: string;
  address: string;
  dataDir: string;
  token: false | string;
}): Promise<Proc> {
  const meshPort = await freePort(opts.address);
  const env: NodeJS.ProcessEnv = { ...process.env, EDGE_LOG_LEVEL: 'info' };
  delete env.EDGE_JOIN_TOKEN;
  const proc = new Proc(
    spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'edge-node.js'),
        '--server',
        url,
        ...(opts.token === false ? [] : ['--token-file', opts.token]),
        '--name',
        opts.name,
        '--address',
        opts.address,
        '--mesh-port',
        String(meshPort),
        '--data-dir',
        opts.dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    ),
  );
  procs.push(proc);
  return proc;
}

/** Runs edgectl as the admin against the hub (token and CA from the hub's files, never on a command line). */
async function edgectl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = new Proc(
    spawn(process.execPath, [join(ROOT, 'bin', 'edgectl.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        EDGE_SERVER: url,
        EDGE_TOKEN: readFileSync(join(hubDir, 'admin.token'), 'utf8').trim(),
        EDGE_CA_FILE: join(hubDir, 'pki', 'ca.crt'),
        EDGE_CONFIG: join(dir, 'edgectl-config'),
        NO_COLOR: '1',
      },
    }),
  );
  const code = await proc.exited;
  return { code, out: proc.out, err: proc.err };
}

const getNode = (name: string): Promise<Node> => client.get<Node>(kind('nodes'), undefined, name);
const ready = (n: Node): boolean =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const boundKeys = (n: Node): string[] => (n.metadata.annotations?.[ANNOTATION] ?? '').split(',').filter(Boolean);
/** Log lines of a node (pino JSON on stderr) with this message. */
const logCount = (p: Proc, msg: string): number => p.err.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;
const mode = (path: string): number => statSync(path).mode & 0o777;

describe('per-node identity over TLS', () => {
  const aDir = join(dir, A.name);
  const joinToken = join(hubDir, 'join.token');
  let a: Proc;

  beforeAll(async () => {
    await startHub();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await hub?.kill('SIGKILL');
    if (process.env.EDGE_TEST_QUIET !== '1') {
      // Warnings and errors only: the node logs at info level (the tests count its info lines).
      const tail = (s: string): string =>
        s
          .trim()
          .split('\n')
          .filter((l) => !l.includes('"level":30'))
          .slice(-15)
          .join('\n');
      console.log(
        `[node-pki] hub stderr:\n${tail(hub?.err ?? '')}\n[node-pki] ${A.name} stderr:\n${tail(a?.err ?? '')}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins with the pinned join token and gets its own certificate (0600, CN/O of a node)', async () => {
    expect(readFileSync(joinToken, 'utf8')).toMatch(/^K10[0-9a-f]{64}::/);
    a = await startNode({ ...A, dataDir: aDir, token: joinToken });
    const node = await until('node A Ready', async () => {
      if (!a.alive) throw new Error(`node exited: ${a.err}`);
      const n = await getNode(A.name).catch(() => undefined);
      return n && ready(n) ? n : undefined;
    });
    const keyPath = join(aDir, 'pki', 'node.key');
    const certPath = join(aDir, 'pki', 'node.crt');
    expect(mode(keyPath)).toBe(0o600);
    expect(mode(certPath)).toBe(0o600);
    const info = certificateInfo(readFileSync(certPath, 'utf8'));
    expect(info.commonName).toBe(`system:node:${A.name}`);
    expect(info.organizations).toEqual(['system:nodes']);
    // The hub bound the node's key (not a copy of it: the key never left the node) to its name.
    expect(boundKeys(node)[0]).toBeDefined();
    expect(boundKeys(await getNode(A.name))).toContain(certificateInfo(readFileSync(certPath, 'utf8')).spkiSha256);
    expect(a.err).not.toContain(readFileSync(joinToken, 'utf8').split('::')[1]?.trim());
  }, 60_000);

  it('refuses a second agent with the same name and another key (409) while the first keeps running', async () => {
    const impostor = await startNode({
      name: A.name,
      address: '127.0.29.3',
      dataDir: join(dir, 'impostor'),
      token: joinToken,
    });
    const code = await impostor.exited;
    expect(code).toBe(1);
    expect(impostor.err).toMatch(/HTTP 409/);
    expect(impostor.err).toContain(`edgectl delete node ${A.name}`);
    expect(a.alive).toBe(true);
    const node = await getNode(A.name);
    expect(ready(node)).toBe(true);
    expect(node.status?.addresses?.find((x) => x.type === 'InternalIP')?.address).toBe(A.address);
  }, 60_000);

  it('rotates its certificate several times while a pod keeps serving NodePort requests, without reconnecting', async () => {
    const blob = await client.uploadBlob(HELLO);
    const docs = wasmServiceManifest({
      name: 'pki-hello',
      image: hubImageRef('hello.wasm', blob.digest),
      replicas: 1,
      nodePort: NODE_PORT,
    })
      .split('\n---\n')
      .map((d) => JSON.parse(d) as KubeObject);
    await client.create(kind('deployments'), docs[0]!, { namespace: 'default' });
    await client.create(kind('services'), docs[1]!, { namespace: 'default' });
    const target = `http://${A.address}:${NODE_PORT}/`;
    await until(
      'the pod to serve through the NodePort',
      async () => (await fetch(target, { signal: AbortSignal.timeout(2000) })).ok,
      60_000,
    );
    const connectsBefore = logCount(a, 'connected to hub');
    const renewalsBefore = logCount(a, 'node certificate renewed');
    const seen = new Set<string>([boundKeys(await getNode(A.name))[0]!]);
    const load = new Load([target], { concurrency: 2 });
    try {
      // Three renewals, each with a fresh key bound by the hub as the node's current one.
      await until(
        'three rotations of the node certificate',
        async () => {
          seen.add(boundKeys(await getNode(A.name))[0]!);
          return seen.size >= 4 && logCount(a, 'node certificate renewed') >= renewalsBefore + 3;
        },
        60_000,
        200,
      );
      await load.completed(20);
    } finally {
      await load.stop();
    }
    expect(load.records.length).toBeGreaterThan(50);
    expect(load.failures).toEqual([]);
    expect(logCount(a, 'connected to hub')).toBe(connectsBefore);
    expect(a.alive).toBe(true);
    // What is on disk is the current pair: the key that is bound, with its certificate.
    const onDisk = certificateInfo(readFileSync(join(aDir, 'pki', 'node.crt'), 'utf8')).spkiSha256;
    expect(boundKeys(await getNode(A.name))).toContain(onDisk);
  }, 120_000);

  it('restarts with its certificate and no token at all', async () => {
    // Right after a renewal, so the certificate outlives the restart by seconds.
    const renewals = logCount(a, 'node certificate renewed');
    await until('a renewal', () => logCount(a, 'node certificate renewed') > renewals, 30_000);
    await a.kill('SIGTERM');
    a = await startNode({ ...A, dataDir: aDir, token: false });
    await until('node A connected again without a token', () => {
      if (!a.alive) throw new Error(`node exited: ${a.err}`);
      return logCount(a, 'connected to hub') >= 1;
    });
    expect(a.err).toContain('using the stored node certificate');
    expect(ready(await getNode(A.name))).toBe(true);
    // Its pod comes back from local state and serves again.
    await until(
      'the pod serving again',
      async () => (await fetch(`http://${A.address}:${NODE_PORT}/`, { signal: AbortSignal.timeout(2000) })).ok,
    );
  }, 60_000);

  it('keeps joined nodes working when their bootstrap token is deleted, and an expired token admits nothing', async () => {
    // The token node A joined with (join.token: K10<ca-hash>::id.secret) is deleted through the API; a
    // second one is made with a TTL of one second and left to expire.
    const oldToken = readFileSync(joinToken, 'utf8').trim();
    const oldId = /::([a-z0-9]{6})\./.exec(oldToken)?.[1];
    expect(oldId).toBeDefined();
    const made = await edgectl(['token', 'create', '--ttl', '1s', '--description', 'expires at once']);
    expect(made.code, made.err).toBe(0);
    const expiring = made.out.trim();
    expect(expiring).toMatch(/^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const deleted = await edgectl(['token', 'delete', oldId!]);
    expect(deleted.code, deleted.err).toBe(0);
    const oldCopy = join(dir, 'old-join.token');
    const expiredCopy = join(dir, 'expired-join.token');
    writeFileSync(oldCopy, `${oldToken}\n`, { mode: 0o600 });
    writeFileSync(expiredCopy, `${expiring}\n`, { mode: 0o600 });
    const listed = await edgectl(['token', 'list']);
    expect(listed.out).not.toContain(oldId);
    expect(listed.out).not.toContain(expiring.split('.')[1]);
    await until('the second token to expire', async () => {
      const res = await request(`${url}/api`, {
        headers: { authorization: `Bearer ${expiring.split('::')[1]}` },
        dispatcher: new Agent({ connect: { ca: caPem() } }),
      });
      await res.body.dump();
      return res.statusCode === 401;
    });
    for (const [name, token, address] of [
      ['pki-late', oldCopy, '127.0.29.4'],
      ['pki-late2', expiredCopy, '127.0.29.5'],
    ] as const) {
      const refused = await startNode({ name, address, dataDir: join(dir, name), token });
      expect(await refused.exited).toBe(1);
      expect(refused.err).toMatch(/HTTP 401/);
      await expect(getNode(name)).rejects.toThrow();
    }
    // Node A never used the token again: it is still connected, keeps renewing with its certificate
    // alone, and serves.
    expect(a.alive, a.err).toBe(true);
    const renewals = logCount(a, 'node certificate renewed');
    await until('a renewal after the token is gone', () => logCount(a, 'node certificate renewed') > renewals, 30_000);
    expect(ready(await getNode(A.name))).toBe(true);
    expect((await fetch(`http://${A.address}:${NODE_PORT}/`)).status).toBe(200);
  }, 90_000);

  it("refuses a hello for another node's name on a connection made with node A's certificate", async () => {
    const tls = {
      ca: caPem(),
      key: readFileSync(join(aDir, 'pki', 'node.key'), 'utf8'),
      cert: readFileSync(join(aDir, 'pki', 'node.crt'), 'utf8'),
    };
    const events: SessionEvent[] = [];
    // The agent's own session client, with A's certificate, saying hello as another node.
    const session = new HubSession({
      hubUrl: url,
      tls: () => tls,
      logger: silentLogger(),
      nodeInfo: () => ({
        name: 'pki-other',
        labels: {},
        address: '127.0.29.9',
        meshPort: 1,
        arch: 'amd64',
        os: 'linux',
        runtimes: ['wasm'],
        capacity: { cpu: '1', memory: '1Gi', pods: '10' },
        agentVersion: 'test',
      }),
      onMessage: () => undefined,
      onEvent: (ev) => events.push(ev),
    });
    session.start();
    try {
      const ended = await until('the hub to close the session', () =>
        events.find((e): e is Extract<SessionEvent, { type: 'unreachable' }> => e.type === 'unreachable'),
      );
      expect(ended.reason).toMatch(/certificate is node pki-a's; it may not say hello as pki-other/);
    } finally {
      await session.stop();
    }
    expect(events.some((e) => e.type === 'connected')).toBe(false);
    await expect(getNode('pki-other')).rejects.toThrow();
    expect(ready(await getNode(A.name))).toBe(true);
  }, 30_000);

  it('deleting the node closes its session and its certificate gets 401 everywhere', async () => {
    const keyPem = readFileSync(join(aDir, 'pki', 'node.key'), 'utf8');
    const certPem = readFileSync(join(aDir, 'pki', 'node.crt'), 'utf8');
    const tls = { ca: caPem(), key: keyPem, cert: certPem };
    const dispatcher = new Agent({ connect: tls });
    const apiStatus = async (path: string): Promise<number> => {
      const res = await request(`${url}${path}`, { dispatcher });
      await res.body.dump();
      return res.statusCode;
    };
    // Before: the certificate authenticates as node A, which may read the blob its own pod runs and
    // nothing else (node restriction): not another blob, not the list of nodes.
    const pods = await client.list<Pod>(kind('pods'));
    const image = pods.items.find((p) => p.spec.nodeName === A.name)?.spec.containers[0]?.image ?? '';
    const digest = parseHubImageRef(image)?.digest;
    expect(digest, image).toBeDefined();
    expect(await apiStatus(`${BLOB_PATH}/${digest}`)).toBe(200);
    expect(await apiStatus(`${BLOB_PATH}/sha256:${'0'.repeat(64)}`)).toBe(403);
    expect(await apiStatus('/api/v1/nodes')).toBe(403);

    const del = await edgectl(['delete', 'node', A.name]);
    expect(del.code, del.err).toBe(0);
    expect(await a.exited).toBe(1);
    expect(a.err).toMatch(/deleted/);
    expect(a.err).toMatch(/node\.\*/);

    expect(await apiStatus('/api/v1/nodes')).toBe(401);
    expect(await apiStatus(`${BLOB_PATH}/${digest}`)).toBe(401);
    const renewal = await request(`${url}${NODE_CERTIFICATE_PATH}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ csr: 'x' }),
    });
    await renewal.body.dump();
    expect(renewal.statusCode).toBe(401);
    const gatewayStatus = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^https/, 'wss')}${GATEWAY_PATH}`, tls);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('the gateway accepted a revoked certificate'));
      });
      ws.on('error', () => undefined);
    });
    expect(gatewayStatus).toBe(401);
    await dispatcher.close();
    await expect(getNode(A.name)).rejects.toThrow();
  }, 60_000);
});

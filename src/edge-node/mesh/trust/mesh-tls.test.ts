/**
 * The mesh hop over mutual TLS, with real certificates (issued with `src/pki` as the hub issues
 * them), real mesh servers, real senders and real sockets: who the receiving node accepts, whom the
 * sender trusts, that nothing of the request crosses in clear, and rotation under load.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import { MESH_ERROR_HEADER } from '../protocol.js';
import type { MeshTlsMaterial } from './tls-material.js';
import { TestPki } from './testing/test-pki.js';
import {
  RIG_MESH_TOKEN,
  RIG_POD,
  startReceiver,
  startSender,
  startUpstream,
  type RigReceiver,
  type RigSender,
  type RigUpstream,
} from './testing/mesh-hop-rig.js';

let pki: TestPki;
let upstream: RigUpstream;
let receiver: RigReceiver;
/** Why the receiving node refused handshakes, as it logs them (debug). */
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
  receiver = await startReceiver('node-b', { transport: 'mtls', tls: await pki.node('node-b') }, upstream.port, logger);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await receiver.close();
  await upstream.close();
});

/** One request straight to the receiving node's mesh server, presenting `client` (or no certificate). */
function meshRequest(
  client: MeshTlsMaterial | undefined,
  port = receiver.port,
): Promise<{ status: number; body: string; meshError: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/hello',
        agent: false,
        ca: pki.ca.certPem,
        ...(client ? { key: client.keyPem, cert: client.certPem } : {}),
        // The receiving node is reached at an address its certificate does not list.
        checkServerIdentity: () => undefined,
        headers: { [MESH_TARGET_HEADER]: `${RIG_POD.namespace}/${RIG_POD.name}`, [MESH_PORT_HEADER]: RIG_POD.port },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            meshError: res.headers[MESH_ERROR_HEADER] as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A GET through a sender's NodePort (plain HTTP, as a client outside the cluster sends it). */
async function viaNodePort(sender: RigSender, path = '/hello', headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${sender.nodePort}${path}`, { headers });
  return { status: res.status, body: await res.text() };
}

async function sender(...args: Parameters<typeof startSender>): Promise<RigSender> {
  const s = await startSender(...args);
  cleanups.push(() => s.close());
  return s;
}

describe('the mesh server over mTLS', () => {
  it('accepts a node certificate of the cluster and delivers to the Service endpoint', async () => {
    const before = upstream.hits;
    const res = await meshRequest(await pki.node('node-c'));
    expect(res).toMatchObject({ status: 200, body: 'reached /hello' });
    expect(upstream.hits).toBe(before + 1);
  });

  it.each([
    ['no client certificate', () => Promise.resolve(undefined), /CERTIFICATE/],
    [
      'a node certificate of another CA',
      async () => (await TestPki.create('another-ca')).node('node-c'),
      /UNABLE_TO_VERIFY|ISSUER/,
    ],
    [
      'an expired node certificate',
      () => pki.node('node-c', { now: new Date(Date.now() - 2 * 3600_000), lifetimeSeconds: 3600 }),
      /CERT_HAS_EXPIRED/,
    ],
  ])('refuses %s at the handshake, before any request', async (_what, material, why) => {
    const before = upstream.hits;
    const client = await material();
    const refusedBefore = refusals.length;
    await expect(meshRequest(client)).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_SSL_|^ECONNRESET$|^EPIPE$/) as unknown,
    });
    expect(upstream.hits).toBe(before);
    await expect.poll(() => refusals.length).toBe(refusedBefore + 1);
    expect(refusals.at(-1)).toMatch(why);
  });

  it.each([
    [
      'a user certificate (O not system:nodes)',
      { commonName: 'alice', organizations: ['dev'] },
      /"alice" is not a node's/,
    ],
    [
      'a node-shaped CN outside group system:nodes',
      { commonName: 'system:node:node-c', organizations: ['dev'] },
      /not in group O=system:nodes/,
    ],
    ['the group without a node CN', { commonName: 'mallory', organizations: ['system:nodes'] }, /is not a node's/],
  ])('answers %s with 403 naming why', async (_what, subject, why) => {
    const before = upstream.hits;
    const res = await meshRequest(await pki.issue({ ...subject, usages: ['client'] }));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(why);
    expect(res.meshError).toBeUndefined();
    expect(upstream.hits).toBe(before);
  });

  it('refuses a node certificate made only for serving as a client', async () => {
    const serverOnly = await pki.node('node-c', { usages: ['server'] });
    const outcome = await meshRequest(serverOnly).then(
      (res) => res.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(outcome === 403 || outcome === 'ECONNRESET' || String(outcome).startsWith('ERR_SSL_')).toBe(true);
    if (outcome !== 403) await expect.poll(() => refusals.at(-1)).toMatch(/PURPOSE/);
  });

  it('keeps its Service-endpoint rule: another pod or port is 403/404 for a node of the cluster too', async () => {
    const client = await pki.node('node-c');
    const res = await new Promise<number>((resolve, reject) => {
      httpsRequest(
        {
          host: '127.0.0.1',
          port: receiver.port,
          agent: false,
          ca: pki.ca.certPem,
          key: client.keyPem,
          cert: client.certPem,
          checkServerIdentity: () => undefined,
          headers: { [MESH_TARGET_HEADER]: 'default/web', [MESH_PORT_HEADER]: '22' },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(res).toBe(403);
  });
});

describe('the sender over mTLS', () => {
  it('delivers through a peer that is the endpoint’s node, with no token', async () => {
    const a = await sender('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: receiver.port },
    ]);
    expect(await viaNodePort(a)).toEqual({ status: 200, body: 'reached /hello' });
  });

  it('refuses a peer whose certificate names another node (and tries the genuine endpoint)', async () => {
    // node-c's mesh server is where the table says node-b is: an impostor, or a stale address.
    const impostor = await startReceiver('node-c', { transport: 'mtls', tls: await pki.node('node-c') }, upstream.port);
    cleanups.push(() => impostor.close());
    const lost = await sender('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: impostor.port },
    ]);
    const before = upstream.hits;
    const res = await viaNodePort(lost);
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/names node "node-c", not "node-b"/);
    expect(upstream.hits).toBe(before);

    const both = await sender('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: impostor.port },
      { nodeName: 'node-b', meshPort: receiver.port },
    ]);
    for (let i = 0; i < 6; i++) expect((await viaNodePort(both)).status).toBe(200);
  });

  it('trusts only the cluster CA: a peer with the right name from another CA is refused', async () => {
    const other = await TestPki.create('another-ca');
    const fake = await startReceiver('node-b', { transport: 'mtls', tls: await other.node('node-b') }, upstream.port);
    cleanups.push(() => fake.close());
    const a = await sender('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: fake.port },
    ]);
    const res = await viaNodePort(a);
    expect(res.status).toBe(503);
    expect(fake.server.handshakes.full).toBe(0);
  });

  it('resumes TLS sessions for further connections to a peer', async () => {
    const peer = await startReceiver('node-b', { transport: 'mtls', tls: await pki.node('node-b') }, upstream.port);
    cleanups.push(() => peer.close());
    const a = await sender('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: peer.port },
    ]);
    expect((await viaNodePort(a)).status).toBe(200); // the first connection: a full handshake
    // Concurrent requests make the pool open more connections, each resuming the first's session.
    const statuses = await Promise.all(Array.from({ length: 8 }, () => viaNodePort(a).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const { full, resumed } = peer.server.handshakes;
    expect(full).toBeGreaterThanOrEqual(1);
    expect(resumed).toBeGreaterThan(0);
  });
});

/** A TCP relay between a sender and a mesh server that records every byte both ways. */
async function recordingRelay(
  targetPort: number,
): Promise<{ port: number; up: Buffer[]; down: Buffer[]; server: Server }> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const server = createTcpServer((client) => {
    const target = tcpConnect(targetPort, '127.0.0.1');
    client.on('data', (d: Buffer) => up.push(Buffer.from(d)));
    target.on('data', (d: Buffer) => down.push(Buffer.from(d)));
    client.pipe(target).on('error', () => client.destroy());
    target.pipe(client).on('error', () => target.destroy());
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, up, down, server };
}

/** The TLS record types of a byte stream; throws when it is not a sequence of whole TLS records. */
function tlsRecordTypes(stream: Buffer): number[] {
  const types: number[] = [];
  let at = 0;
  while (at < stream.length) {
    const type = stream[at]!;
    const major = stream[at + 1];
    const length = stream.readUInt16BE(at + 3);
    if (![0x14, 0x15, 0x16, 0x17].includes(type) || major !== 3) throw new Error(`not a TLS record at ${at}`);
    types.push(type);
    at += 5 + length;
  }
  if (at !== stream.length) throw new Error('a truncated TLS record');
  return types;
}

describe('a hop on the wire', () => {
  const SECRET_PATH = '/orders/secret-path-7f3a';
  const CLIENT_HEADER = 'x-canary-header-91be';
  const CLIENT_AUTH = 'Bearer client-own-token-5c2d';

  async function recordedHop(mtls: boolean): Promise<{ up: Buffer; down: Buffer; status: number }> {
    const tlsB = await pki.node('node-b');
    const peer = await startReceiver(
      'node-b',
      mtls ? { transport: 'mtls', tls: tlsB } : { transport: 'insecure-token' },
      upstream.port,
    );
    cleanups.push(() => peer.close());
    const relay = await recordingRelay(peer.port);
    cleanups.push(() => new Promise((r) => relay.server.close(() => r())));
    const a = await sender(
      'node-a',
      mtls ? { transport: 'mtls', tls: await pki.node('node-a') } : { transport: 'insecure-token' },
      [{ nodeName: 'node-b', meshPort: relay.port }],
    );
    const res = await viaNodePort(a, SECRET_PATH, { [CLIENT_HEADER]: 'canary', authorization: CLIENT_AUTH });
    return { up: Buffer.concat(relay.up), down: Buffer.concat(relay.down), status: res.status };
  }

  const needles = [
    SECRET_PATH,
    CLIENT_HEADER,
    CLIENT_AUTH,
    'client-own-token',
    MESH_TARGET_HEADER,
    MESH_PORT_HEADER,
    'authorization',
    RIG_MESH_TOKEN,
    'reached',
  ];

  it('with mTLS carries only TLS records: no path, no header name, no token in clear', async () => {
    const { up, down, status } = await recordedHop(true);
    expect(status).toBe(200);
    for (const [dir, bytes] of [
      ['up', up],
      ['down', down],
    ] as const) {
      const types = tlsRecordTypes(bytes);
      expect(types[0], dir).toBe(0x16); // a handshake first
      expect(types, dir).toContain(0x17); // then application data
      const text = bytes.toString('latin1').toLowerCase();
      for (const n of needles) expect(text.includes(n.toLowerCase()), `${dir} carries ${n}`).toBe(false);
      // ("http/1.1" is in the ClientHello's ALPN; an HTTP message would carry it with a status or a line end.)
      expect(/HTTP\/1\.1(\r\n| \d{3})/.test(bytes.toString('latin1')), dir).toBe(false);
    }
  });

  it('the same relay sees everything in clear in insecure-token mode (the check itself works)', async () => {
    const { up, status } = await recordedHop(false);
    expect(status).toBe(200);
    const text = up.toString('latin1');
    expect(text).toContain(SECRET_PATH);
    expect(text).toContain(RIG_MESH_TOKEN);
    expect(() => tlsRecordTypes(up)).toThrow();
  });
});

describe('rotation', () => {
  it('switches both ends’ certificates under load with zero failed requests', async () => {
    const slow = await startUpstream(5);
    cleanups.push(() => slow.close());
    let tlsB = await pki.node('node-b', { lifetimeSeconds: 60 });
    let tlsA = await pki.node('node-a', { lifetimeSeconds: 60 });
    const b = await startReceiver('node-b', { transport: 'mtls', tls: tlsB }, slow.port);
    cleanups.push(() => b.close());
    const a = await sender('node-a', { transport: 'mtls', tls: tlsA }, [{ nodeName: 'node-b', meshPort: b.port }]);

    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const res = await viaNodePort(a).catch((err: unknown) => ({ status: 0, body: String(err) }));
        if (res.status === 200) ok++;
        else failures.push(`${res.status} ${res.body}`);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const served = async (n: number): Promise<void> => {
      const target = ok + n;
      while (ok < target && failures.length === 0) await new Promise((r) => setImmediate(r));
    };
    await served(50);
    const serials = [tlsB.certPem];
    for (let round = 0; round < 4; round++) {
      tlsB = await pki.node('node-b', { lifetimeSeconds: 60 });
      tlsA = await pki.node('node-a', { lifetimeSeconds: 60 });
      serials.push(tlsB.certPem);
      b.server.setTlsMaterial(tlsB);
      a.deliverer.setTlsMaterial(tlsA);
      await served(50);
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(250);

    // New handshakes present the newest certificate; the old pools have drained.
    const presented = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        {
          host: '127.0.0.1',
          port: b.port,
          ca: pki.ca.certPem,
          key: tlsA.keyPem,
          cert: tlsA.certPem,
          checkServerIdentity: () => undefined,
        },
        () => {
          resolve(s.getPeerX509Certificate()?.toString() ?? '');
          s.destroy();
        },
      ).on('error', reject);
    });
    expect(presented.replace(/\s/g, '')).toBe(serials.at(-1)!.replace(/\s/g, ''));
    while (a.deliverer.drainingPeerPools > 0) await new Promise((r) => setTimeout(r, 10));
    expect(b.server.handshakes.full).toBeGreaterThanOrEqual(5);
  });
});

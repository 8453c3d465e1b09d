/**
 * The certificate authenticator's cache over real mutual-TLS connections on loopback (127.0.136.1) and
 * a real registry: a certificate is parsed once across reconnects, the least recently used one leaves a
 * full cache first, and neither a revoked certificate (its Node deleted) nor an expired one is ever
 * let in from the cache.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import {
  certificateInfo,
  createCa,
  createCsr,
  generateKeyPair,
  issueCertificate,
  type CaPem,
} from '../../pki/index.js';
import { silentLogger } from '../../platform/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { CertificateAuthenticator, parseSubject } from './certificate-auth.js';
import { NodeCredentials } from './node-credentials.js';
import { NodeCertificateSigner } from './node-signer.js';

const NODE = typeByKind('v1', 'Node')!;
const HOST = '127.0.136.1';

let t: TestApi;
let ca: CaPem;
let credentials: NodeCredentials;
let signer: NodeCertificateSigner;
let server: Server;
/** Hub-side sockets by the client's port, and who waits for one not yet accepted. */
const accepted = new Map<number, TLSSocket>();
const waiting = new Map<number, (s: TLSSocket) => void>();
const clients: TLSSocket[] = [];

beforeAll(async () => {
  t = await createTestApi();
  ca = await createCa({ commonName: 'test-ca', lifetimeSeconds: 3600, now: new Date() });
  credentials = new NodeCredentials(t.api);
  signer = new NodeCertificateSigner({
    ca: () => ca,
    credentials,
    clock: { now: () => Date.now() },
    logger: silentLogger(),
    lifetimeSeconds: 600,
  });
  const serving = await generateKeyPair();
  const cert = await issueCertificate({
    ca,
    publicKeyPem: serving.publicKeyPem,
    commonName: 'hub',
    ipAddresses: [HOST],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now: new Date(),
  });
  // As the hub's listener: a client certificate is asked for and verified, but not required.
  server = createServer(
    { key: serving.privateKeyPem, cert, ca: ca.certPem, requestCert: true, rejectUnauthorized: false },
    (s) => {
      const port = s.remotePort ?? 0;
      const waiter = waiting.get(port);
      if (waiter) waiter(s);
      else accepted.set(port, s);
    },
  );
  server.listen(0, HOST);
  await once(server, 'listening');
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  server.close();
  await t.close();
});

/** Opens a new mutual-TLS connection with `certPem` and returns the hub side's socket. */
async function connection(certPem: string, keyPem: string): Promise<TLSSocket> {
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: HOST, port, ca: ca.certPem, cert: certPem, key: keyPem });
  clients.push(client);
  await once(client, 'secureConnect');
  const local = client.localPort ?? 0;
  const ready = accepted.get(local);
  if (ready) return ready;
  return new Promise((resolve) => waiting.set(local, resolve));
}

/** A node certificate signed as at a first join (its key bound to the Node). */
async function nodeCertificate(name: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await createCsr({
    privateKeyPem: keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    commonName: `system:node:${name}`,
    organizations: ['system:nodes'],
  });
  const { certificatePem } = await signer.sign({ csrPem: csr, requester: { kind: 'bootstrap' } });
  return { certPem: certificatePem, keyPem: keys.privateKeyPem };
}

async function userCertificate(name: string, organizations = ['dev']): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: name,
    organizations,
    usages: ['client'],
    lifetimeSeconds: 600,
    now: new Date(),
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

describe('CertificateAuthenticator cache', () => {
  it('parses a certificate once across reconnects, and never serves a revoked one from the cache', async () => {
    const auth = new CertificateAuthenticator(credentials);
    const node = await nodeCertificate('cache-a');
    for (let i = 0; i < 3; i++) {
      await expect(auth.authenticate(await connection(node.certPem, node.keyPem))).resolves.toMatchObject({
        kind: 'authenticated',
        principal: { kind: 'node', name: 'cache-a' },
      });
    }
    expect(auth.parsedCertificates).toBe(1);
    // Deleting the Node revokes its key: the cached certificate is refused, on a new connection and
    // on one authenticated before.
    const before = await connection(node.certPem, node.keyPem);
    await expect(auth.authenticate(before)).resolves.toMatchObject({ kind: 'authenticated' });
    await t.api.delete(NODE, undefined, 'cache-a');
    await expect(auth.authenticate(await connection(node.certPem, node.keyPem))).resolves.toEqual({
      kind: 'revoked',
      node: 'cache-a',
    });
    await expect(auth.authenticate(before)).resolves.toEqual({ kind: 'revoked', node: 'cache-a' });
    expect(auth.parsedCertificates).toBe(1);
  });

  it('stops serving a cached certificate at its notAfter and drops it from the cache', async () => {
    let now = Date.now();
    const auth = new CertificateAuthenticator(credentials, { clock: { now: () => now } });
    const node = await nodeCertificate('cache-b');
    const socket = await connection(node.certPem, node.keyPem);
    await expect(auth.authenticate(socket)).resolves.toMatchObject({ kind: 'authenticated' });
    expect(auth.cachedCertificates).toBe(1);
    // Past its 600 s lifetime: not on the open connection, not on a new one (whose handshake, at the
    // machine's real time, still passed), and the entry is gone.
    now += 601_000;
    await expect(auth.authenticate(socket)).resolves.toEqual({ kind: 'none' });
    await expect(auth.authenticate(await connection(node.certPem, node.keyPem))).resolves.toEqual({ kind: 'none' });
    expect(auth.cachedCertificates).toBe(0);
  });

  it('keeps the most recently used certificates when full', async () => {
    const auth = new CertificateAuthenticator(credentials, { maxCached: 2 });
    const [a, b, c] = await Promise.all(['ann', 'bob', 'cyd'].map((n) => userCertificate(n)));
    const use = async (u: { certPem: string; keyPem: string }): Promise<number> => {
      await expect(auth.authenticate(await connection(u.certPem, u.keyPem))).resolves.toMatchObject({
        kind: 'authenticated',
      });
      return auth.parsedCertificates;
    };
    expect(await use(a!)).toBe(1);
    expect(await use(b!)).toBe(2);
    expect(await use(a!)).toBe(2); // a hit: a is now the most recently used
    expect(await use(c!)).toBe(3); // full: b, the least recently used, goes
    expect(await use(a!)).toBe(3);
    expect(await use(b!)).toBe(4); // parsed again
    expect(auth.cachedCertificates).toBe(2);
  });
});

describe('parseSubject (native) against certificateInfo (@peculiar/x509)', () => {
  it('reads the same names, key hash and validity from the certificate a TLS peer presented', async () => {
    const certs = [
      await nodeCertificate('native-a'),
      await userCertificate('ann, the \\ "admin" + ü', ['dev', 'system:masters', 'o=x, y']),
      await userCertificate('solo', []),
    ];
    for (const c of certs) {
      const peer = (await connection(c.certPem, c.keyPem)).getPeerCertificate();
      const info = certificateInfo(c.certPem);
      expect(parseSubject(peer, peer.raw)).toEqual({
        commonName: info.commonName,
        organizations: info.organizations,
        keyHash: info.spkiSha256,
        notBefore: info.notBefore.getTime(),
        notAfter: info.notAfter.getTime(),
      });
    }
  });
});

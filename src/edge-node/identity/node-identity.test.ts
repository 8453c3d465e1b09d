/**
 * The node's credential against a real hub that serves a user's certificate (`--tls-cert-file`, signed
 * by the user's own CA) while signing node certificates with its cluster CA: the node pins the serving
 * CA for the hub and trusts the signer the hub names for its mesh peers, so two such nodes complete
 * the mesh's mutual-TLS handshake (before, the node checked its own certificate against the serving CA
 * and could not join at all).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import net, { type AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { Hub } from '../../hub/index.js';
import {
  caHash,
  certificateInfo,
  createCa,
  generateKeyPair,
  issueCertificate,
  parseJoinToken,
  verifyCertificate,
} from '../../pki/index.js';
import { establishHubTrust } from '../hub-trust.js';
import { clientConnectOptions, serverTlsOptions } from '../mesh/trust/tls-material.js';
import { NodeIdentity, NodeIdentityError, type NodeTlsMaterial } from './node-identity.js';

let dir: string;
let hub: Hub;
let url: string;
let userCaPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'node-identity-'));
  const now = new Date();
  const userCa = await createCa({ commonName: 'users-own-ca', lifetimeSeconds: 3600, now });
  userCaPem = userCa.certPem;
  const servingKey = await generateKeyPair();
  const servingCert = await issueCertificate({
    ca: userCa,
    publicKeyPem: servingKey.publicKeyPem,
    commonName: 'hub.example',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now,
  });
  // The user's file: the leaf, then its chain (what clients pin).
  await writeFile(join(dir, 'serving.crt'), servingCert + userCa.certPem);
  await writeFile(join(dir, 'serving.key'), servingKey.privateKeyPem, { mode: 0o600 });
  hub = await Hub.create({
    dataDir: join(dir, 'hub'),
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: join(dir, 'serving.crt'), keyFile: join(dir, 'serving.key') },
    logger: silentLogger(),
  });
  url = (await hub.start()).url;
});

afterAll(async () => {
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Joins node `name` as the agent does: pins the hub by the join token's CA hash, then bootstraps (first
 * at `first`, then at the `hubs` given, when set).
 */
async function join_(
  name: string,
  via: { first?: string; hubs?: string[]; secret?: string } = {},
): Promise<{ identity: NodeIdentity; dataDir: string }> {
  const token = parseJoinToken(await readFile(hub.clientFiles.joinToken, 'utf8'));
  const dataDir = join(dir, name);
  const caPem = await establishHubTrust({
    server: url,
    dataDir,
    logger: silentLogger(),
    ...(token.caHash !== undefined ? { caHash: token.caHash } : {}),
  });
  const identity = await NodeIdentity.load({
    dataDir,
    hubBase: via.first ?? url,
    ...(via.hubs ? { hubs: () => via.hubs! } : {}),
    nodeName: name,
    address: '127.0.0.1',
    ...(caPem !== undefined ? { caPem } : {}),
    bootstrapToken: via.secret ?? token.secret,
    logger: silentLogger(),
  });
  return { identity, dataDir };
}

const meshOf = (m: NodeTlsMaterial) => ({ keyPem: m.keyPem, certPem: m.certPem, caPem: m.signerCaPem });

/** A mesh hop's handshake: `server`'s mesh port, dialled by `client` expecting node `serverName`. */
async function handshake(server: NodeTlsMaterial, client: NodeTlsMaterial, serverName: string): Promise<string> {
  const srv: Server = createServer(serverTlsOptions(meshOf(server)), (s) => s.end('ok'));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ...clientConnectOptions(meshOf(client), serverName) });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
  } finally {
    srv.close();
  }
}

describe('node identity under a hub serving the user’s certificate', () => {
  it('joins: pins the user’s CA for the hub, keeps the cluster CA as the signer, and meshes with a peer', async () => {
    const token = parseJoinToken(await readFile(hub.clientFiles.joinToken, 'utf8'));
    expect(token.caHash).toBe(caHash(userCaPem));
    const a = await join_('ni-a');
    const b = await join_('ni-b');
    const clusterCaPem = await readFile(join(dir, 'hub', 'pki', 'ca.crt'), 'utf8');
    for (const n of [a, b]) {
      const m = n.identity.current();
      expect(m.caPem).toBe(userCaPem);
      expect(m.signerCaPem).toBe(clusterCaPem);
      expect(() => verifyCertificate(m.certPem, clusterCaPem, new Date())).not.toThrow();
      // Kept beside the pinned CA, public.
      const file = join(n.dataDir, 'pki', 'node-ca.crt');
      expect(await readFile(file, 'utf8')).toBe(clusterCaPem);
      expect((await stat(file)).mode & 0o777).toBe(0o644);
    }
    // The mesh's mutual TLS, both ways.
    expect(await handshake(a.identity.current(), b.identity.current(), 'ni-a')).toBe('ok');
    expect(await handshake(b.identity.current(), a.identity.current(), 'ni-b')).toBe('ok');
    // The pinned serving CA is no trust anchor for peers: a mesh trusting it refuses the peer.
    const wrongAnchor = { ...a.identity.current(), signerCaPem: userCaPem };
    await expect(handshake(b.identity.current(), wrongAnchor, 'ni-b')).rejects.toThrow();
    // The hub authenticates the node by its certificate (the user's serving CA did not sign it): the
    // API's node restriction then refuses a read of Nodes (403 naming the node), where no credential gets 401.
    const res = await request(`${url}/api/v1/nodes/ni-a`, { dispatcher: a.identity.dispatcher() });
    expect(res.statusCode).toBe(403);
    expect(await res.body.text()).toContain('system:node:ni-a');
    await a.identity.stop();
    await b.identity.stop();
  });

  it('joins through the next hub when the first cannot be reached; a refused token is final', async () => {
    // A hub that is down (a port nobody listens on), and one that counts who dials it.
    const down = net.createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const downUrl = `https://127.0.0.1:${(down.address() as AddressInfo).port}`;
    await new Promise((r) => down.close(r));
    let dialled = 0;
    const counting = net.createServer((s) => {
      dialled++;
      s.destroy();
    });
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
    const countingUrl = `https://127.0.0.1:${(counting.address() as AddressInfo).port}`;
    try {
      const { identity } = await join_('ni-d', { first: downUrl, hubs: [downUrl, url] });
      expect(certificateInfo(identity.current().certPem).commonName).toBe('system:node:ni-d');
      await identity.stop();
      // The real hub refuses a wrong token: that answer stands, the next hub is not asked.
      await expect(join_('ni-e', { hubs: [url, countingUrl], secret: 'wrong' })).rejects.toThrow(NodeIdentityError);
      expect(dialled).toBe(0);
    } finally {
      counting.close();
    }
  });

  it('restarts on its stored certificate, checked against the stored signer, with no token', async () => {
    const { dataDir } = await join_('ni-c');
    const again = await NodeIdentity.load({
      dataDir,
      hubBase: url,
      nodeName: 'ni-c',
      caPem: userCaPem,
      logger: silentLogger(),
    });
    expect(again.current().signerCaPem).toBe(await readFile(join(dir, 'hub', 'pki', 'ca.crt'), 'utf8'));
    await again.stop();
  });
});

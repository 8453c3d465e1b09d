import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_CERTIFICATE_PATH, typeByKind, type Node } from '../../api/index.js';
import {
  certificateInfo,
  createCa,
  createCsr,
  generateKeyPair,
  issueCertificate,
  type CaPem,
} from '../../pki/index.js';
import { silentLogger } from '../../platform/index.js';
import { createApiApp } from '../server/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { CertificateAuthenticator } from './certificate-auth.js';
import { NODE_CREDENTIALS_ANNOTATION, NodeCredentials, boundKeys } from './node-credentials.js';
import { NodeCertificateSigner } from './node-signer.js';

const NODE = typeByKind('v1', 'Node')!;

let t: TestApi;
let ca: CaPem;
let signer: NodeCertificateSigner;
let credentials: NodeCredentials;
let app: ReturnType<typeof createApiApp>;

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
  app = createApiApp({
    api: t.api,
    auth: t.auth,
    blobs: t.blobs,
    logs: { stream: () => (async function* () {})() },
    logger: silentLogger(),
    version: { gitVersion: 'v0.0.0-test' },
    nodeCertificates: { certificates: new CertificateAuthenticator(credentials), signer },
  });
});
afterAll(() => t.close());

/** A fresh key and a CSR for it with the given subject. */
async function csrFor(commonName: string, organizations = ['system:nodes']) {
  const keys = await generateKeyPair();
  const csr = await createCsr({
    privateKeyPem: keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    commonName,
    organizations,
  });
  return { keys, csr };
}

function post(body: unknown, token?: string) {
  return app.request(NODE_CERTIFICATE_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** What a verified TLS socket exposes (Node's TLSSocket: encrypted, authorized, the peer's certificate object). */
function verifiedSocket(certPem: string) {
  return { encrypted: true, authorized: true, getPeerCertificate: () => new X509Certificate(certPem).toLegacyObject() };
}

async function message(res: Response): Promise<string> {
  return ((await res.json()) as { message: string }).message;
}

describe('POST /bootstrap/node-certificate', () => {
  it('signs a node certificate for the join token, binds the key, and creates the Node', async () => {
    const { csr } = await csrFor('system:node:node-a');
    const res = await post({ csr, address: '10.0.0.7' }, t.auth.joinToken);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { certificate: string; caCertificate: string };
    const info = certificateInfo(body.certificate);
    expect(info.commonName).toBe('system:node:node-a');
    expect(info.organizations).toEqual(['system:nodes']);
    expect(body.caCertificate).toBe(ca.certPem);
    const x = new X509Certificate(body.certificate);
    expect(x.subjectAltName).toContain('IP Address:10.0.0.7');
    expect(x.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    const node = await t.api.get<Node>(NODE, undefined, 'node-a');
    expect(boundKeys(node)).toEqual([info.spkiSha256]);
  });

  it('refuses callers without a bootstrap credential (401)', async () => {
    const { csr } = await csrFor('system:node:node-b');
    expect((await post({ csr })).status).toBe(401);
    expect((await post({ csr }, 'not-a-token')).status).toBe(401);
    // A user's token is no bootstrap credential.
    expect((await post({ csr }, t.auth.adminToken)).status).toBe(401);
  });

  it('refuses garbage, a wrong subject and a bad signature (400), naming the defect', async () => {
    expect((await post('{not json', t.auth.joinToken)).status).toBe(400);
    expect((await post({ csr: 'garbage' }, t.auth.joinToken)).status).toBe(400);
    expect((await post({ csr: 'x', extra: 1 }, t.auth.joinToken)).status).toBe(400);

    const wrongCn = await post({ csr: (await csrFor('admin', ['system:nodes'])).csr }, t.auth.joinToken);
    expect(wrongCn.status).toBe(400);
    expect(await message(wrongCn)).toMatch(/CN=system:node:<node-name>, O=system:nodes/);
    const wrongO = await post({ csr: (await csrFor('system:node:node-c', ['system:masters'])).csr }, t.auth.joinToken);
    expect(wrongO.status).toBe(400);
    const extraO = await post(
      { csr: (await csrFor('system:node:node-c', ['system:nodes', 'system:masters'])).csr },
      t.auth.joinToken,
    );
    expect(extraO.status).toBe(400);
    const badName = await post({ csr: (await csrFor('system:node:Not_A_Name')).csr }, t.auth.joinToken);
    expect(badName.status).toBe(400);
    expect(await message(badName)).toMatch(/node name is not valid/);
    const badAddress = await post(
      { csr: (await csrFor('system:node:node-c')).csr, address: 'not-an-ip' },
      t.auth.joinToken,
    );
    expect(badAddress.status).toBe(400);

    // Flip one byte inside the signature (the DER's tail): the CSR still parses, its signature does not verify.
    const { csr } = await csrFor('system:node:node-c');
    const der = Buffer.from(csr.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const badSig = await post({ csr: tampered }, t.auth.joinToken);
    expect(badSig.status).toBe(400);
    expect(await message(badSig)).toMatch(/signature does not verify/);
    await expect(credentials.node('node-c')).resolves.toBeUndefined();
  });

  it('refuses a name held by another key (409) and says how to free it; the same key may ask again', async () => {
    const first = await csrFor('system:node:node-d');
    expect((await post({ csr: first.csr }, t.auth.joinToken)).status).toBe(201);
    const other = await csrFor('system:node:node-d');
    const res = await post({ csr: other.csr }, t.auth.joinToken);
    expect(res.status).toBe(409);
    expect(await message(res)).toMatch(/edgectl delete node node-d/);
    // A join whose answer was lost asks again with the same key.
    const again = await createCsr({
      privateKeyPem: first.keys.privateKeyPem,
      publicKeyPem: first.keys.publicKeyPem,
      commonName: 'system:node:node-d',
      organizations: ['system:nodes'],
    });
    expect((await post({ csr: again }, t.auth.joinToken)).status).toBe(201);
  });
});

describe('renewal and revocation', () => {
  it('binds the new key beside the one that renewed, and refuses other names and unbound keys', async () => {
    const first = await csrFor('system:node:node-e');
    const cert1 = (await signer.sign({ csrPem: first.csr, requester: { kind: 'bootstrap' } })).certificatePem;
    const k1 = certificateInfo(cert1).spkiSha256;
    const second = await csrFor('system:node:node-e');
    const cert2 = (await signer.sign({ csrPem: second.csr, requester: { kind: 'node', name: 'node-e', keyHash: k1 } }))
      .certificatePem;
    const k2 = certificateInfo(cert2).spkiSha256;
    expect(boundKeys(await credentials.node('node-e'))).toEqual([k2, k1]);
    // The answer was lost: the node renews again with k1, which is still bound.
    const third = await csrFor('system:node:node-e');
    const cert3 = (await signer.sign({ csrPem: third.csr, requester: { kind: 'node', name: 'node-e', keyHash: k1 } }))
      .certificatePem;
    const k3 = certificateInfo(cert3).spkiSha256;
    expect(boundKeys(await credentials.node('node-e'))).toEqual([k3, k1]);
    await expect(credentials.isBound('node-e', k2)).resolves.toBe(false);

    const forOther = await csrFor('system:node:node-a');
    await expect(
      signer.sign({ csrPem: forOther.csr, requester: { kind: 'node', name: 'node-e', keyHash: k3 } }),
    ).rejects.toMatchObject({ httpStatus: 403 });
    const unbound = await csrFor('system:node:node-e');
    await expect(
      signer.sign({ csrPem: unbound.csr, requester: { kind: 'node', name: 'node-e', keyHash: 'f'.repeat(64) } }),
    ).rejects.toMatchObject({ httpStatus: 409 });
  });

  it('authenticates a bound node certificate as that node until its Node is deleted', async () => {
    const { csr } = await csrFor('system:node:node-f');
    const certPem = (await signer.sign({ csrPem: csr, requester: { kind: 'bootstrap' } })).certificatePem;
    const auth = new CertificateAuthenticator(credentials);
    const socket = verifiedSocket(certPem);
    await expect(auth.authenticate(socket)).resolves.toMatchObject({
      kind: 'authenticated',
      principal: { kind: 'node', name: 'node-f' },
    });
    await expect(auth.authenticate({ ...socket, authorized: false })).resolves.toEqual({ kind: 'none' });
    await expect(auth.authenticate(undefined)).resolves.toEqual({ kind: 'none' });
    await t.api.delete(NODE, undefined, 'node-f');
    await expect(auth.authenticate(socket)).resolves.toEqual({ kind: 'revoked', node: 'node-f' });
    // Revoked: the name is free for a new key, as a new node.
    const fresh = await csrFor('system:node:node-f');
    await signer.sign({ csrPem: fresh.csr, requester: { kind: 'bootstrap' } });
    await expect(auth.authenticate(socket)).resolves.toEqual({ kind: 'revoked', node: 'node-f' });
    const node = await t.api.get<Node>(NODE, undefined, 'node-f');
    expect(node.metadata.annotations?.[NODE_CREDENTIALS_ANNOTATION]).toBe(
      certificateInfo((await signer.sign({ csrPem: fresh.csr, requester: { kind: 'bootstrap' } })).certificatePem)
        .spkiSha256,
    );
  });

  it("keeps a node's binding through a user's update that omits the annotation", async () => {
    const { csr } = await csrFor('system:node:node-g');
    const certPem = (await signer.sign({ csrPem: csr, requester: { kind: 'bootstrap' } })).certificatePem;
    const bound = await t.api.get<Node>(NODE, undefined, 'node-g');
    // A manifest PUT as a user writes it: labels, no annotations at all.
    await t.api.update<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-g', resourceVersion: bound.metadata.resourceVersion, labels: { site: 'shop-7' } },
      spec: {},
    });
    const after = await t.api.get<Node>(NODE, undefined, 'node-g');
    expect(after.metadata.labels).toEqual({ site: 'shop-7' });
    expect(boundKeys(after)).toEqual([certificateInfo(certPem).spkiSha256]);
    await expect(
      new CertificateAuthenticator(credentials).authenticate(verifiedSocket(certPem)),
    ).resolves.toMatchObject({
      kind: 'authenticated',
      principal: { kind: 'node', name: 'node-g' },
    });
  });

  it('turns other verified certificates into users with their O as groups', async () => {
    const keys = await generateKeyPair();
    const certPem = await issueCertificate({
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'alice',
      organizations: ['dev', 'system:masters'],
      usages: ['client'],
      lifetimeSeconds: 60,
      now: new Date(),
    });
    const auth = new CertificateAuthenticator(credentials);
    const socket = verifiedSocket(certPem);
    await expect(auth.authenticate(socket)).resolves.toMatchObject({
      kind: 'authenticated',
      principal: { kind: 'user', name: 'alice', groups: ['dev', 'system:masters', 'system:authenticated'] },
    });
  });
});

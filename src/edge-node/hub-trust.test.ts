import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caHash, createCa, generateKeyPair, issueCertificate, type CaPem } from '../pki/index.js';
import { silentLogger } from '../platform/index.js';
import { establishHubTrust, hubCaPath, HubTrustError } from './hub-trust.js';

let dir: string;
let ca: CaPem;
let server: Server;
let url: string;
const requests: Array<{ url?: string; authorization?: string }> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-trust-'));
  ca = await createCa({ commonName: 'ca', lifetimeSeconds: 3600, now: new Date() });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'hub',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now: new Date(),
  });
  server = createServer({ cert, key: keys.privateKeyPem }, (req, res) => {
    requests.push({ url: req.url, authorization: req.headers.authorization });
    res.end(req.url === '/cacerts' ? ca.certPem : '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const trust = (o: {
  caHash?: string;
  caFile?: string;
  dataDir?: string;
  server?: string | string[];
}): Promise<string | undefined> => establishHubTrust({ server: url, dataDir: dir, logger: silentLogger(), ...o });

describe("the node's trust in its hub", () => {
  it('pins the CA the token names: fetched anonymously from /cacerts, stored, then reused without a fetch', async () => {
    requests.length = 0;
    const dataDir = join(dir, 'n1');
    expect(await trust({ caHash: caHash(ca.certPem), dataDir })).toBe(ca.certPem);
    expect(requests).toEqual([{ url: '/cacerts', authorization: undefined }]);
    expect(await readFile(hubCaPath(dataDir), 'utf8')).toBe(ca.certPem);
    expect(await trust({ caHash: caHash(ca.certPem), dataDir })).toBe(ca.certPem);
    expect(requests).toHaveLength(1);
  });

  it('with several hubs, pins the CA of the first that answers (a hub that is down is skipped)', async () => {
    const down = createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const downUrl = `https://127.0.0.1:${(down.address() as AddressInfo).port}`;
    await new Promise<void>((r) => down.close(() => r()));
    const dataDir = join(dir, 'n-several');
    expect(await trust({ caHash: caHash(ca.certPem), dataDir, server: [downUrl, url] })).toBe(ca.certPem);
    expect(await readFile(hubCaPath(dataDir), 'utf8')).toBe(ca.certPem);
    await expect(
      trust({ caHash: caHash(ca.certPem), dataDir: join(dir, 'n-none'), server: [downUrl] }),
    ).rejects.toThrow(/cannot fetch the hub CA/);
  });

  it('refuses a hub whose CA is not the pinned one, storing nothing', async () => {
    const other = await createCa({ commonName: 'other', lifetimeSeconds: 3600, now: new Date() });
    const dataDir = join(dir, 'n2');
    const err = await trust({ caHash: caHash(other.certPem), dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubTrustError);
    expect((err as Error).message).toContain(`presented a CA with sha256 ${caHash(ca.certPem)}`);
    expect((err as Error).message).toContain(`the join token pins ${caHash(other.certPem)}`);
    await expect(readFile(hubCaPath(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('needs --ca-file for a bare token, checks a given file against a pinned hash, and trusts nothing over http', async () => {
    await expect(trust({})).rejects.toThrow(/carries no CA hash.*--ca-file/);
    const file = join(dir, 'ca.pem');
    await writeFile(file, ca.certPem);
    expect(await trust({ caFile: file })).toBe(ca.certPem);
    await expect(trust({ caFile: file, caHash: 'ab'.repeat(32) })).rejects.toThrow(/not the CA the join token pins/);
    await expect(trust({ caFile: join(dir, 'missing.pem') })).rejects.toThrow(/--ca-file: cannot read/);
    expect(await trust({ server: 'http://127.0.0.1:1' })).toBeUndefined();
  });
});

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCa, generateKeyPair, issueCertificate } from '../../pki/index.js';
import {
  keySpkiSha256,
  loadNodeCredentials,
  nodePkiPaths,
  saveNodeCert,
  saveNodeKey,
  saveRotated,
} from './pki-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'node-pki-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const ca = createCa({ commonName: 'test-ca', lifetimeSeconds: 3600, now: new Date() });

async function pair(): Promise<{ keyPem: string; certPem: string }> {
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca: await ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'system:node:n1',
    organizations: ['system:nodes'],
    usages: ['client', 'server'],
    lifetimeSeconds: 60,
    now: new Date(),
  });
  return { keyPem: keys.privateKeyPem, certPem };
}

describe('node PKI files', () => {
  it('stores key and certificate 0600 and loads them back as a pair', async () => {
    const paths = nodePkiPaths(dir);
    await mkdir(paths.dir, { mode: 0o700 });
    const p = await pair();
    await saveNodeKey(paths, p.keyPem);
    expect(await loadNodeCredentials(paths)).toEqual({ keyPem: p.keyPem });
    await saveNodeCert(paths, p.certPem);
    expect(await loadNodeCredentials(paths)).toEqual(p);
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.cert)).mode & 0o777).toBe(0o600);
  });

  it('finishes a rotation a crash interrupted after the certificate was written', async () => {
    const paths = nodePkiPaths(dir);
    await mkdir(paths.dir, { mode: 0o700 });
    const old = await pair();
    const next = await pair();
    await saveNodeKey(paths, old.keyPem);
    await saveNodeCert(paths, old.certPem);
    // The crash: new key and certificate written, the key not yet moved in.
    await writeFile(paths.nextKey, next.keyPem, { mode: 0o600 });
    await writeFile(paths.cert, next.certPem, { mode: 0o600 });
    expect(await loadNodeCredentials(paths)).toEqual(next);
    await expect(stat(paths.nextKey)).rejects.toThrow();
  });

  it('drops a new key whose certificate never arrived, keeping the working pair', async () => {
    const paths = nodePkiPaths(dir);
    await mkdir(paths.dir, { mode: 0o700 });
    const old = await pair();
    const next = await pair();
    await saveNodeKey(paths, old.keyPem);
    await saveNodeCert(paths, old.certPem);
    await writeFile(paths.nextKey, next.keyPem, { mode: 0o600 });
    expect(await loadNodeCredentials(paths)).toEqual(old);
    await expect(stat(paths.nextKey)).rejects.toThrow();
    // And a completed rotation leaves the new pair only.
    await saveRotated(paths, next);
    expect(await loadNodeCredentials(paths)).toEqual(next);
    expect(keySpkiSha256(await readFile(paths.key, 'utf8'))).toBe(keySpkiSha256(next.keyPem));
  });
});

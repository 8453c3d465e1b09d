import { expect, it } from 'vitest';
import { RevokedPeers, certificateKeyHash } from './revoked-peers.js';
import { TestPki } from './testing/test-pki.js';
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';

const hash = (c: string) => c.repeat(64);

it('refuses a listed key until its notAfter, and takes each list whole', () => {
  let now = Date.parse('2026-12-02T12:00:00Z');
  const revoked = new RevokedPeers(() => now);
  revoked.update([
    { spkiSha256: hash('a'), notAfter: '2026-12-02T13:00:00Z' },
    { spkiSha256: hash('b'), notAfter: '2026-12-02T11:00:00Z' },
  ]);
  expect(revoked.isRevoked(hash('a'))).toBe(true);
  expect(revoked.isRevoked(hash('b'))).toBe(false); // past notAfter: no certificate for it verifies anyway
  expect(revoked.isRevoked(hash('c'))).toBe(false);
  now = Date.parse('2026-12-02T13:00:01Z');
  expect(revoked.isRevoked(hash('a'))).toBe(false);
  revoked.update([{ spkiSha256: hash('c'), notAfter: '2027-01-01T00:00:00Z' }]);
  expect(revoked.size).toBe(1);
  expect(revoked.isRevoked(hash('c'))).toBe(true);
});

it('hashes a certificate’s key as the hub binds it (sha256 of the SPKI DER)', async () => {
  const pki = await TestPki.create();
  const node = await pki.node('node-x');
  const der = new X509Certificate(node.certPem).raw;
  const spki = createPublicKey(node.keyPem).export({ type: 'spki', format: 'der' });
  expect(certificateKeyHash(der)).toBe(createHash('sha256').update(spki).digest('hex'));
  expect(certificateKeyHash(Buffer.from('not a certificate'))).toBeUndefined();
});

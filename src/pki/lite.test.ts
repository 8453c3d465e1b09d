/**
 * The agent's x509-free certificate reading (`lite.ts`) held to the full one (`certificateInfo`, over
 * `@peculiar/x509`): the same common name, validity and key fingerprint for the CA and for node,
 * server and client certificates it issues; garbage refused by both.
 */
import { describe, expect, it } from 'vitest';
import { certificateInfo, createCa, generateKeyPair, issueCertificate } from './index.js';
import { InvalidCertificateError, certificateFacts, renewAt, verifyCertificate } from './lite.js';

const year = 365 * 24 * 3600;

describe('pki lite: reading certificates without the ASN.1 library', () => {
  it('reads what certificateInfo reads, for the CA and the certificates it issues', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const ca = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: 10 * year, now });
    const certs = [ca.certPem];
    for (const [commonName, organizations, usages] of [
      ['system:node:pi-1', ['system:nodes'], ['client', 'server']],
      ['127.0.77.1', [], ['server']],
      ['alice', ['dev', 'ops', 'system:masters'], ['client']],
    ] as const) {
      const key = await generateKeyPair();
      certs.push(
        await issueCertificate({
          ca,
          publicKeyPem: key.publicKeyPem,
          commonName,
          organizations,
          usages,
          lifetimeSeconds: year,
          now,
        }),
      );
    }
    for (const pem of certs) {
      const full = certificateInfo(pem);
      expect(certificateFacts(pem)).toEqual({
        commonName: full.commonName,
        notBefore: full.notBefore,
        notAfter: full.notAfter,
        spkiSha256: full.spkiSha256,
      });
      const third = full.notBefore.getTime() + (2 / 3) * (full.notAfter.getTime() - full.notBefore.getTime());
      expect(renewAt(pem).getTime()).toBe(new Date(third).getTime());
    }
    // Chain checks: issued by the CA, valid now; refused outside the validity window.
    verifyCertificate(certs[1]!, ca.certPem, now);
    expect(() => verifyCertificate(certs[1]!, ca.certPem, new Date(now.getTime() + 2 * year * 1000))).toThrow(
      'certificate: expired',
    );
    const other = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: year, now });
    expect(() => verifyCertificate(certs[1]!, other.certPem, now)).toThrow('not signed by the cluster CA');
  });

  it('refuses what is not a certificate, as certificateInfo does', () => {
    const junk = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(() => certificateInfo(junk)).toThrow(InvalidCertificateError);
    expect(() => certificateFacts(junk)).toThrow(InvalidCertificateError);
    expect(() => certificateFacts('not pem')).toThrow(InvalidCertificateError);
  });
});

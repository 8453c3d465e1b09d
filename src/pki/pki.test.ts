import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  caHash,
  certificateInfo,
  createCa,
  createCsr,
  generateKeyPair,
  InvalidCertificateError,
  InvalidCsrError,
  InvalidKeyError,
  issueCertificate,
  parseCsr,
  renewAt,
  splitCertificateBundle,
  verifyCertificate,
} from './index.js';

const now = new Date('2026-06-01T12:00:00Z');
const year = 365 * 24 * 3600;

async function server(): Promise<{ ca: { certPem: string; keyPem: string }; certPem: string; keyPem: string }> {
  const ca = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: 10 * year, now: new Date() });
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'edge-hub',
    dnsNames: ['localhost', 'hub.example'],
    ipAddresses: ['127.0.0.1', '::1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now: new Date(),
  });
  return { ca, certPem, keyPem: keys.privateKeyPem };
}

describe('the cluster CA and the certificates it issues', () => {
  it('creates a CA node:crypto reads as a CA with the asked name and lifetime', async () => {
    const ca = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: 10 * year, now });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=edgeplane-ca');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const info = certificateInfo(ca.certPem);
    expect(info.notAfter.getTime() - now.getTime()).toBe(10 * year * 1000);
    expect(info.notBefore.getTime()).toBe(now.getTime() - 5 * 60 * 1000);
  });

  it('issues a leaf with SANs, EKU, key identifiers and a random serial, verifiable against the CA', async () => {
    const ca = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: 10 * year, now });
    const keys = await generateKeyPair();
    const opts = {
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'system:node:pi-1',
      organizations: ['system:nodes', 'edge'],
      dnsNames: ['pi-1.local'],
      ipAddresses: ['10.0.0.7', '::1'],
      usages: ['client', 'server'] as Array<'client' | 'server'>,
      lifetimeSeconds: 3600,
      now,
    };
    const pem = await issueCertificate(opts);
    const cert = new X509Certificate(pem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:pi-1.local, IP Address:10.0.0.7, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(keys.publicKeyPem);
    const info = certificateInfo(pem);
    expect(info).toMatchObject({ commonName: 'system:node:pi-1', organizations: ['system:nodes', 'edge'] });
    expect(info.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(certificateInfo(await issueCertificate(opts)).serial).not.toBe(info.serial);
    expect(() => verifyCertificate(pem, ca.certPem, now)).not.toThrow();
    expect(() => verifyCertificate(pem, ca.certPem, new Date(now.getTime() + 2 * 3600_000))).toThrow(/expired/);
    const other = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: year, now });
    expect(() => verifyCertificate(pem, other.certPem, now)).toThrow(/not signed by the cluster CA/);
  });

  it('never issues past the CA expiry', async () => {
    const ca = await createCa({ commonName: 'short-ca', lifetimeSeconds: 60, now });
    const keys = await generateKeyPair();
    const pem = await issueCertificate({
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'x',
      usages: ['client'],
      lifetimeSeconds: year,
      now,
    });
    expect(certificateInfo(pem).notAfter).toEqual(certificateInfo(ca.certPem).notAfter);
  });

  it('serves real TLS: a client trusting the CA connects by name and by IP; one trusting another CA is refused', async () => {
    const { ca, certPem, keyPem } = await server();
    const srv = createServer({ cert: certPem, key: keyPem }, (s) => s.end('hello'));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const { port } = srv.address() as AddressInfo;
    const talk = async (opts: { ca: string; servername?: string }): Promise<string> => {
      const sock: TLSSocket = connect({ host: '127.0.0.1', port, ...opts });
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      await once(sock, 'end');
      return Buffer.concat(chunks).toString();
    };
    try {
      expect(await talk({ ca: ca.certPem, servername: 'hub.example' })).toBe('hello');
      expect(await talk({ ca: ca.certPem })).toBe('hello');
      await expect(talk({ ca: ca.certPem, servername: 'elsewhere.example' })).rejects.toThrow(/altnames/);
      const other = await createCa({ commonName: 'edgeplane-ca', lifetimeSeconds: year, now: new Date() });
      await expect(talk({ ca: other.certPem })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      srv.close();
    }
  });

  it('refuses bad issue requests with named errors', async () => {
    const ca = await createCa({ commonName: 'ca', lifetimeSeconds: year, now });
    const keys = await generateKeyPair();
    const base = {
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'x',
      usages: ['server'] as Array<'server'>,
      lifetimeSeconds: 60,
      now,
    };
    await expect(issueCertificate({ ...base, ipAddresses: ['not-an-ip'] })).rejects.toBeInstanceOf(
      InvalidCertificateError,
    );
    await expect(issueCertificate({ ...base, dnsNames: ['bad name'] })).rejects.toBeInstanceOf(InvalidCertificateError);
    await expect(issueCertificate({ ...base, lifetimeSeconds: 0 })).rejects.toBeInstanceOf(InvalidCertificateError);
    await expect(issueCertificate({ ...base, usages: [] })).rejects.toBeInstanceOf(InvalidCertificateError);
    await expect(issueCertificate({ ...base, publicKeyPem: 'garbage' })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(issueCertificate({ ...base, ca: { ...ca, keyPem: 'garbage' } })).rejects.toThrow(
      /private key: not a PEM private key$/,
    );
  });
});

describe('certificate signing requests', () => {
  it('round-trips: the parsed request names the subject and the requester key', async () => {
    const keys = await generateKeyPair();
    const csr = await createCsr({ ...keys, commonName: 'system:node:pi-1', organizations: ['system:nodes'] });
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const parsed = await parseCsr(csr);
    expect(parsed).toMatchObject({
      commonName: 'system:node:pi-1',
      organizations: ['system:nodes'],
      publicKeyPem: keys.publicKeyPem,
    });
    expect(parsed.spkiSha256).toMatch(/^[0-9a-f]{64}$/);
    const ca = await createCa({ commonName: 'ca', lifetimeSeconds: year, now });
    const cert = await issueCertificate({
      ca,
      publicKeyPem: parsed.publicKeyPem,
      commonName: parsed.commonName,
      usages: ['client'],
      lifetimeSeconds: 60,
      now,
    });
    expect(certificateInfo(cert).spkiSha256).toBe(parsed.spkiSha256);
  });

  it('refuses a tampered request (its signature no longer verifies)', async () => {
    const keys = await generateKeyPair();
    const csr = await createCsr({ ...keys, commonName: 'system:node:aaaa' });
    const der = Buffer.from(csr.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('system:node:aaaa'));
    expect(at).toBeGreaterThan(0);
    der.write('system:node:bbbb', at);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(parseCsr(tampered)).rejects.toThrow(
      new InvalidCsrError('certificate signing request: its signature does not verify'),
    );
  });

  it('refuses a request signed by another key than the one it carries', async () => {
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    await expect(
      parseCsr(await createCsr({ privateKeyPem: a.privateKeyPem, publicKeyPem: b.publicKeyPem, commonName: 'x' })),
    ).rejects.toThrow(/signature does not verify/);
  });

  it.each([
    ['', /empty/],
    ['garbage', /not PEM/],
    ['x'.repeat(70_000), /larger than/],
    ['-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', /not a PKCS#10 request/],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /expected a "CERTIFICATE REQUEST" PEM block/],
    ['junk\n-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', /text outside PEM blocks/],
  ])('refuses hostile input %#', async (input, message) => {
    const err = await parseCsr(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCsrError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.length).toBeLessThan(200);
  });

  it('refuses a request without a common name', async () => {
    const keys = await generateKeyPair();
    await expect(parseCsr(await createCsr({ ...keys, commonName: '' }).catch(() => ''))).rejects.toBeInstanceOf(
      InvalidCsrError,
    );
  });
});

describe('certificate reading', () => {
  it('caHash is the sha256 of the DER, independent of PEM wrapping', async () => {
    const ca = await createCa({ commonName: 'ca', lifetimeSeconds: year, now });
    const der = new X509Certificate(ca.certPem).raw;
    const { createHash } = await import('node:crypto');
    expect(caHash(ca.certPem)).toBe(createHash('sha256').update(der).digest('hex'));
    const rewrapped = `-----BEGIN CERTIFICATE-----\r\n${der.toString('base64').replace(/(.{76})/g, '$1\r\n')}\r\n-----END CERTIFICATE-----\r\n`;
    expect(caHash(rewrapped)).toBe(caHash(ca.certPem));
    expect(splitCertificateBundle(ca.certPem + ca.certPem)).toHaveLength(2);
    expect(() => caHash('nope')).toThrow(InvalidCertificateError);
    expect(() => caHash(ca.keyPem)).toThrow(/"PRIVATE KEY" PEM block/);
  });

  it('renewAt is two thirds of the way through the validity by default', async () => {
    const ca = await createCa({ commonName: 'ca', lifetimeSeconds: year, now });
    const keys = await generateKeyPair();
    const pem = await issueCertificate({
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: 'x',
      usages: ['server'],
      lifetimeSeconds: 30,
      now,
    });
    const { notBefore, notAfter } = certificateInfo(pem);
    expect(notAfter.getTime() - notBefore.getTime()).toBe(33_000);
    expect(renewAt(pem).getTime()).toBe(notBefore.getTime() + 22_000);
    expect(renewAt(pem, 0.5).getTime()).toBe(notBefore.getTime() + 16_500);
  });

  it('certificateInfo refuses garbage with a named error', () => {
    expect(() => certificateInfo('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(
      new InvalidCertificateError('certificate: not an X.509 certificate'),
    );
  });
});

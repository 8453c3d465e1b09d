/**
 * What reading one node certificate costs the hub's certificate authentication (prints figures; not a
 * test). After a hub restart its per-certificate cache is empty, so every returning node's certificate
 * is read once (issue 14's storm profile: `certificateInfo` 8.6% of the restarted hub):
 *   - "peculiar": the hub before — Node's `X509Certificate` to PEM, then `certificateInfo`
 *     (`@peculiar/x509`'s ASN.1 parser in JS);
 *   - "native": `parseSubject` — the names from the certificate object TLS already built
 *     (`getPeerCertificate()`, here its equal `toLegacyObject()`), the key and validity from
 *     `X509Certificate` (OpenSSL).
 * Both are given the same certificates (node certificates of one CA), each read once per round.
 *
 * Run: npx tsx bench/fleet-certificate-parse.ts [--certs 200] [--rounds 5]
 */
import { X509Certificate } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import { parseSubject } from '../src/hub/identity/certificate-auth.js';
import { certificateInfo, createCa, generateKeyPair, issueCertificate } from '../src/pki/index.js';
import { arg } from './wasm-support.js';

const CERTS = arg('certs', 200);
const ROUNDS = arg('rounds', 5);

async function main(): Promise<void> {
  const now = new Date();
  const ca = await createCa({ commonName: 'bench-ca', lifetimeSeconds: 3600, now });
  const ders: Buffer[] = [];
  for (let i = 0; i < CERTS; i++) {
    const keys = await generateKeyPair();
    const pem = await issueCertificate({
      ca,
      publicKeyPem: keys.publicKeyPem,
      commonName: `system:node:hollow-${String(i).padStart(5, '0')}`,
      organizations: ['system:nodes'],
      usages: ['client'],
      lifetimeSeconds: 3600,
      now,
    });
    ders.push(Buffer.from(new X509Certificate(pem).raw));
  }
  // What TLS hands the authenticator: the peer's certificate object (built whether or not it is used).
  const peers: PeerCertificate[] = ders.map((d) => new X509Certificate(d).toLegacyObject());
  const ways: Record<string, (i: number) => unknown> = {
    peculiar: (i) => certificateInfo(new X509Certificate(ders[i]!).toString()),
    native: (i) => parseSubject(peers[i]!, ders[i]!),
  };
  for (const read of Object.values(ways)) for (let i = 0; i < CERTS; i++) read(i); // warm up
  console.log(`certificate reads: ${CERTS} node certificates × ${ROUNDS} rounds, node ${process.version}`);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  console.log('| way | µs per certificate (median of rounds) | best round |\n|---|---|---|');
  for (const [name, read] of Object.entries(ways)) {
    const perCert: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      for (let i = 0; i < CERTS; i++) read(i);
      perCert.push(((performance.now() - t0) * 1000) / CERTS);
    }
    perCert.sort((a, b) => a - b);
    console.log(`| ${name} | ${perCert[Math.floor(ROUNDS / 2)]!.toFixed(1)} | ${perCert[0]!.toFixed(1)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});

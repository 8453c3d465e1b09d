/**
 * The certificate worker host over a real worker thread: a request's outcome crosses back as data, the
 * thread ends when released (or after the time it is kept for), and `keepWarmFor` keeps it only for
 * certificates renewed again within a minute.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/support/poll.js';
import { createCa, generateKeyPair, issueCertificate } from '../../pki/index.js';
import { CertificateWorkerHost, keepWarmFor, type ObtainRequest } from './certificate-worker-host.js';

let refusing: Server;
let req: ObtainRequest;

beforeAll(async () => {
  // A port that accepts and closes at once: a hub that gives no answer.
  refusing = createServer((s) => s.destroy());
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  const ca = await createCa({ commonName: 'host-test-ca', lifetimeSeconds: 3600, now: new Date() });
  req = {
    hubBase: `https://127.0.0.1:${(refusing.address() as AddressInfo).port}`,
    nodeName: 'host-test',
    caPem: ca.certPem,
    keyPem: (await generateKeyPair()).privateKeyPem,
    auth: { token: 'not-a-real-token' },
    clockOffsetMs: 0,
  };
});

afterAll(() => new Promise<void>((r) => refusing.close(() => r())));

describe('CertificateWorkerHost', () => {
  it('runs a request in a worker that ends when released', async () => {
    const host = new CertificateWorkerHost();
    expect(host.running).toBe(false);
    const outcome = await host.request(req);
    expect(outcome).toMatchObject({ ok: false, kind: 'request', status: 0 });
    expect(outcome.ok === false && outcome.message).toMatch(/cannot reach the hub for a node certificate/);
    expect(host.running).toBe(true);
    host.release(0);
    expect(host.running).toBe(false);
  }, 30_000);

  it('keeps the worker for the time asked, for the next request, then ends it', async () => {
    const host = new CertificateWorkerHost();
    await host.request(req);
    host.release(60_000);
    expect(host.running).toBe(true);
    // The next request uses the kept worker, and a shorter keep ends it.
    expect(await host.request(req)).toMatchObject({ ok: false, kind: 'request' });
    host.release(50);
    await until('the kept worker to end', () => !host.running, 5_000, 20);
  }, 30_000);

  it('keeps a worker warm only for a certificate renewed again within a minute', async () => {
    const now = new Date();
    const ca = await createCa({ commonName: 'keep-ca', lifetimeSeconds: 86_400, now });
    const key = await generateKeyPair();
    const cert = (lifetimeSeconds: number): Promise<string> =>
      issueCertificate({
        ca,
        publicKeyPem: key.publicKeyPem,
        commonName: 'system:node:k',
        usages: ['client'],
        lifetimeSeconds,
        now,
      });
    // Renewed at two thirds: after 4 s for a 6 s certificate, after 16 h for a day's.
    const short = keepWarmFor(await cert(6), now.getTime());
    expect(short).toBeGreaterThan(10_000);
    expect(short).toBeLessThanOrEqual(14_000 + 1_000);
    expect(keepWarmFor(await cert(86_400), now.getTime())).toBe(0);
  });
});

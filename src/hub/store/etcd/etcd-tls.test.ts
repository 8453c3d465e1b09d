/**
 * The etcd store over TLS with client certificates (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`)
 * against a real etcd on 127.0.53.5 that requires them; certificates made here with openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/index.js';
import { EtcdStore } from './etcd-store.js';
import { EtcdTestCluster } from './testing/etcd-cluster.js';

const HOST = '127.0.53.5';
let dir: string;
let etcd: EtcdTestCluster;
const file = (name: string): string => join(dir, name);

/** A P-256 key and a certificate for it signed by the test CA, with `ext` extensions. */
function issue(name: string, cn: string, ext: string): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  writeFileSync(file(`${name}.ext`), ext);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(`${name}.key`));
  openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${cn}`, '-out', file(`${name}.csr`));
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file(`${name}.ext`),
    '-out',
    file(`${name}.crt`),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'etcd-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      file('ca.key'),
    ].concat(['-out', file('ca.crt'), '-subj', '/CN=edgeplane-test-etcd-ca', '-days', '1']),
    { stdio: 'ignore' },
  );
  issue('server', 'etcd', `subjectAltName=IP:${HOST}\nextendedKeyUsage=serverAuth\n`);
  issue('client', 'edge-hub', 'extendedKeyUsage=clientAuth\n');
  etcd = await EtcdTestCluster.start([HOST], {
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    clientCaFile: file('ca.crt'),
  });
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('EtcdStore over TLS', () => {
  it('talks to an etcd that requires client certificates, with the CA, certificate and key given', async () => {
    expect(etcd.endpoints[0]).toMatch(/^https:/);
    const s = await EtcdStore.create({
      endpoints: etcd.endpoints,
      tls: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
      logger: silentLogger(),
    });
    const rev = await s.create('/registry/configmaps/default/tls', { over: 'tls' });
    expect(await s.get('/registry/configmaps/default/tls')).toMatchObject({ value: { over: 'tls' }, modRevision: rev });
    await s.close();
  });

  it('is refused without a client certificate, and without the CA', async () => {
    await expect(
      EtcdStore.create({
        endpoints: etcd.endpoints,
        tls: { caFile: file('ca.crt') },
        logger: silentLogger(),
        callTimeoutMs: 1_500,
      }),
    ).rejects.toThrow(/etcd/);
    await expect(
      EtcdStore.create({
        endpoints: etcd.endpoints,
        tls: { certFile: file('client.crt'), keyFile: file('client.key') },
        logger: silentLogger(),
        callTimeoutMs: 1_500,
      }),
    ).rejects.toThrow(/etcd/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../errors.js';
import { emptyConfig, type EdgeConfig } from '../config/index.js';
import { minify } from './config.js';
import { flatten, setCluster } from './config-cluster.js';

const config: EdgeConfig = {
  ...emptyConfig(),
  clusters: [
    { name: 'lab', cluster: { server: 'https://lab:8443' } },
    { name: 'prod', cluster: { server: 'https://prod:8443' } },
  ],
  users: [
    { name: 'lab', user: { token: 'lab-token' } },
    { name: 'prod', user: { token: 'prod-token' } },
  ],
  contexts: [
    { name: 'lab', context: { cluster: 'lab', user: 'lab' } },
    { name: 'prod', context: { cluster: 'prod', user: 'prod', namespace: 'web' } },
  ],
  'current-context': 'lab',
};

describe('config view --minify', () => {
  it('keeps one context, its cluster and user, and makes it current', () => {
    const prod = minify(config, 'prod');
    expect(prod.contexts.map((c) => c.name)).toEqual(['prod']);
    expect(prod.clusters).toEqual([{ name: 'prod', cluster: { server: 'https://prod:8443' } }]);
    expect(prod.users.map((u) => u.name)).toEqual(['prod']);
    expect(prod['current-context']).toBe('prod');
    expect(minify(config).contexts.map((c) => c.name)).toEqual(['lab']);
  });

  it('refuses an unknown context', () => {
    expect(() => minify(config, 'nope')).toThrow(ConfigError);
  });
});

describe('config set-cluster and view --flatten', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const files: Record<string, string> = { '/ca/hub.crt': PEM, '/ca/not-a-cert': 'hello' };
  const read = (path: string): Buffer => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
    return Buffer.from(text);
  };

  it('embeds the CA with --embed-certs, or keeps its absolute path, clearing the other form', () => {
    const embedded = setCluster(config, 'lab', { certificateAuthority: '/ca/hub.crt', embedCerts: true }, read);
    expect(embedded.clusters[0]).toEqual({
      name: 'lab',
      cluster: { server: 'https://lab:8443', 'certificate-authority-data': Buffer.from(PEM).toString('base64') },
    });
    const byPath = setCluster(embedded, 'lab', { certificateAuthority: '/ca/hub.crt' }, read);
    expect(byPath.clusters[0]?.cluster).toEqual({ server: 'https://lab:8443', 'certificate-authority': '/ca/hub.crt' });
    // --flatten turns the path back into data, so the output stands alone.
    expect(flatten(byPath, read).clusters[0]).toEqual(embedded.clusters[0]);
  });

  it('creates a cluster with --server, and insecure mode clears the CA', () => {
    const added = setCluster(
      config,
      'edge',
      { server: 'https://edge:6443', certificateAuthority: '/ca/hub.crt' },
      read,
    );
    expect(added.clusters.map((c) => c.name)).toEqual(['lab', 'prod', 'edge']);
    const insecure = setCluster(added, 'edge', { insecureSkipTlsVerify: true }, read);
    expect(insecure.clusters[2]?.cluster).toEqual({ server: 'https://edge:6443', 'insecure-skip-tls-verify': true });
  });

  it('refuses what kubectl refuses, and a file that is no certificate', () => {
    expect(() => setCluster(config, 'new', {}, read)).toThrow(UsageError);
    expect(() => setCluster(config, 'lab', { embedCerts: true }, read)).toThrow(UsageError);
    expect(() =>
      setCluster(config, 'lab', { certificateAuthority: '/ca/hub.crt', insecureSkipTlsVerify: true }, read),
    ).toThrow(UsageError);
    expect(() => setCluster(config, 'lab', { certificateAuthority: '/ca/missing', embedCerts: true }, read)).toThrow(
      /could not read certificate-authority data from \/ca\/missing/,
    );
    expect(() => setCluster(config, 'lab', { certificateAuthority: '/ca/not-a-cert' }, read)).toThrow(
      /holds no PEM certificate/,
    );
  });
});

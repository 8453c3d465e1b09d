import { describe, expect, it } from 'vitest';
import { ImagePullError } from '../api/index.js';
import { RegistryCredentials } from './credentials.js';
import { Digester, sha256Digest } from './digest.js';
import { parseManifest, selectPlatform, type ImageIndex } from './manifest.js';
import { formatReference, isLoopbackRegistry, parseImageReference, registryApiHost } from './reference.js';
import { parseChallenge } from './registry-auth.js';

describe('image references', () => {
  it('parses them as Docker does', () => {
    expect(parseImageReference('busybox')).toEqual({
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: 'latest',
    });
    expect(parseImageReference('org/app:1.2')).toEqual({ registry: 'docker.io', repository: 'org/app', tag: '1.2' });
    expect(parseImageReference('localhost:5000/a/b:x')).toEqual({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: 'x',
    });
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`ghcr.io/o/r@${d}`)).toEqual({ registry: 'ghcr.io', repository: 'o/r', digest: d });
    expect(parseImageReference(`127.0.0.1:5000/r:t@${d}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'r',
      tag: 't',
      digest: d,
    });
    expect(formatReference(parseImageReference('busybox:1'))).toBe('docker.io/library/busybox:1');
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(isLoopbackRegistry('127.0.15.1:5000')).toBe(true);
    expect(isLoopbackRegistry('registry.local')).toBe(false);
  });

  it('refuses malformed ones, saying why', () => {
    for (const bad of ['', 'UPPER/case', 'a b', 'x:', 'repo@sha256:short', 'a//b'])
      expect(() => parseImageReference(bad)).toThrow(ImagePullError);
    expect(() => parseImageReference('Busybox')).toThrow(/repository path components/);
  });
});

describe('registry auth challenges', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/busybox:pull',
      },
    });
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
    expect(parseChallenge('Bearer realm="a\\"b", error=invalid_token')?.params).toEqual({
      realm: 'a"b',
      error: 'invalid_token',
    });
  });
});

describe('manifests and platforms', () => {
  const desc = (architecture: string, variant?: string, os = 'linux'): ImageIndex['manifests'][number] => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: sha256Digest(`${os}${architecture}${variant ?? ''}`),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const index: ImageIndex = {
    kind: 'index',
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      desc('amd64'),
      desc('arm', 'v6'),
      desc('arm', 'v7'),
      desc('arm64', 'v8'),
      desc('unknown', undefined, 'unknown'),
    ],
  };

  it('resolves an index to the node platform', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).platform?.architecture).toBe('amd64');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).platform?.variant).toBe('v7');
    expect(
      selectPlatform({ ...index, manifests: [desc('arm', 'v6')] }, { os: 'linux', architecture: 'arm', variant: 'v7' })
        .platform?.variant,
    ).toBe('v6');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64' }).platform?.variant).toBe('v8');
    expect(() => selectPlatform(index, { os: 'linux', architecture: 'riscv64' })).toThrow(
      /offers: linux\/amd64, linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8\)/,
    );
    expect(() =>
      selectPlatform({ ...index, manifests: [desc('arm', 'v7')] }, { os: 'linux', architecture: 'arm', variant: 'v6' }),
    ).toThrow(ImagePullError);
  });

  it('parses manifests and indexes, refusing what is not one', () => {
    const m = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { mediaType: 'c', digest: sha256Digest('c'), size: 2 },
          layers: [],
        }),
      ),
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(m).toMatchObject({ kind: 'manifest', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), undefined).kind).toBe(
      'index',
    );
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined)).toThrow(/schemaVersion 1/);
    expect(() => parseManifest(Buffer.from('nope'), undefined)).toThrow(/not JSON/);
    expect(() => parseManifest(Buffer.from('{"schemaVersion":2,"layers":[{}],"config":{}}'), undefined)).toThrow(
      /not a descriptor/,
    );
    // A digest or size that could steer a path or a read is refused before anything uses it.
    const withLayer = (layer: object): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { mediaType: 'c', digest: sha256Digest('c'), size: 2 },
          layers: [layer],
        }),
      );
    expect(() => parseManifest(withLayer({ mediaType: 'l', digest: 'sha256:../../x', size: 1 }), undefined)).toThrow(
      /layers\[0\]\.digest: malformed digest "sha256:..\/..\/x"/,
    );
    expect(() =>
      parseManifest(withLayer({ mediaType: 'l', digest: `sha256:${'A'.repeat(64)}`, size: 1 }), undefined),
    ).toThrow(/malformed digest/);
    expect(() => parseManifest(withLayer({ mediaType: 'l', digest: sha256Digest('l'), size: -1 }), undefined)).toThrow(
      /layers\[0\]\.size -1 is not a byte count/,
    );
    expect(() =>
      parseManifest(withLayer({ mediaType: 'l', digest: sha256Digest('l'), size: 1e300 }), undefined),
    ).toThrow(/not a byte count/);
  });
});

describe('digests and credentials', () => {
  it('verifies content and size', () => {
    const d = new Digester(sha256Digest('hello'));
    d.update(Buffer.from('hel'));
    d.update(Buffer.from('lo'));
    expect(() => d.verify('x', 5)).not.toThrow();
    const bad = new Digester(sha256Digest('hello'));
    bad.update(Buffer.from('hellO'));
    expect(() => bad.verify('blob y')).toThrow(/blob y: digest mismatch/);
    expect(() => new Digester('md5:abc')).toThrow(/unsupported digest algorithm/);
  });

  it('reads docker config.json credentials', () => {
    const creds = RegistryCredentials.parse(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
          'registry.local:5000': { username: 'u', password: 'p:with:colons' },
        },
      }),
    );
    expect(creds.lookup('docker.io')).toEqual({ username: 'hub', password: 'pw' });
    expect(creds.lookup('registry.local:5000')).toEqual({ username: 'u', password: 'p:with:colons' });
    expect(creds.lookup('other')).toBeUndefined();
    expect(() => RegistryCredentials.parse('{}')).toThrow(/no "auths"/);
    expect(() => RegistryCredentials.parse('{"auths":{"x":null}}')).toThrow(/auths\["x"\] is not an object/);
    expect(() => RegistryCredentials.parse('{"auths":{"x":{"auth":"bm9jb2xvbg=="}}}')).toThrow(
      /not base64 of "user:password"/,
    );
  });
});

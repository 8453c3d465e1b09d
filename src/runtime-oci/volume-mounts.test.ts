import { describe, expect, it } from 'vitest';
import type { VolumeMountConfig } from '../api/index.js';
import { createContainerBody } from './engine/engine-create.js';
import { pullSecretAuth } from './pull-secret-auth.js';
import { volumeBindMounts } from './runc/bundle-config.js';

const mounts: VolumeMountConfig[] = [
  { volume: 'nested', hostPath: '/dev/shm/n/volumes/nested', containerPath: '/etc/app/sub', readOnly: true },
  { volume: 'cfg', hostPath: '/dev/shm/n/volumes/cfg', containerPath: '/etc/app', readOnly: true },
  { volume: 'scratch', hostPath: '/data/volumes/scratch', containerPath: '/scratch', readOnly: false },
];

describe('container volume mounts', () => {
  it('runc binds each volume directory, parents first, read-only where asked', () => {
    expect(volumeBindMounts(mounts)).toEqual([
      {
        destination: '/scratch',
        type: 'bind',
        source: '/data/volumes/scratch',
        options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'rw'],
      },
      {
        destination: '/etc/app',
        type: 'bind',
        source: '/dev/shm/n/volumes/cfg',
        options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'ro'],
      },
      {
        destination: '/etc/app/sub',
        type: 'bind',
        source: '/dev/shm/n/volumes/nested',
        options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'ro'],
      },
    ]);
  });

  it('the Engine API gets the same binds as HostConfig.Mounts', () => {
    const body = createContainerBody(
      {
        id: 'c1',
        pod: { namespace: 'default', name: 'p', uid: 'u' },
        name: 'main',
        image: { ref: 'busybox', digest: 'sha256:' + 'a'.repeat(64), sizeBytes: 1 },
        command: [],
        args: [],
        env: {},
        ports: [],
        limits: {},
        hostNetwork: false,
        security: {},
        logPath: '/tmp/x.log',
        labels: {},
        mounts,
      },
      { nodeName: 'n', user: undefined },
    );
    expect((body.HostConfig as { Mounts: unknown }).Mounts).toEqual([
      { Type: 'bind', Source: '/dev/shm/n/volumes/nested', Target: '/etc/app/sub', ReadOnly: true },
      { Type: 'bind', Source: '/dev/shm/n/volumes/cfg', Target: '/etc/app', ReadOnly: true },
      { Type: 'bind', Source: '/data/volumes/scratch', Target: '/scratch', ReadOnly: false },
    ]);
  });

  it("imagePullSecrets give the adapter the credentials of the image's registry", () => {
    const doc = (host: string, user: string) =>
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:pw-${user}`).toString('base64') } } });
    const secrets = ['not json', doc('other.example:5000', 'a'), doc('127.0.0.1:5000', 'b')];
    expect(pullSecretAuth('127.0.0.1:5000/app:1', secrets)).toEqual({ username: 'b', password: 'pw-b' });
    expect(pullSecretAuth('docker.io/library/busybox', secrets)).toBeUndefined();
    expect(pullSecretAuth('127.0.0.1:5000/app:1', [])).toBeUndefined();
  });
});

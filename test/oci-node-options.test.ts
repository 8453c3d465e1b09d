/** The `--oci-*` flags of edge-node: parsed into the node's OCI settings, bad values refused by name. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cluster.js';
import { OptionsError, parseNodeOptions } from '../src/edge-node/cli-options.js';

const parse = (args: string[]) =>
  parseNodeOptions(
    ['node', 'edge-node', '--server', 'http://hub:7400', '--name', 'n1', ...args],
    { EDGE_JOIN_TOKEN: 't' },
    'v0.1.0',
    () => undefined,
  );

describe('edge-node --oci-* flags', () => {
  it('offers Wasm only by default', () => {
    expect(parse([]).oci).toBeUndefined();
    expect(parse(['--oci-runtime', 'none']).oci).toBeUndefined();
  });

  it('parses runc settings with their defaults', () => {
    expect(parse(['--oci-runtime', 'runc']).oci).toEqual({
      runtime: 'runc',
      bridge: 'edge0',
      podCidr: '10.88.0.0/24',
      insecureRegistries: [],
    });
    expect(
      parse([
        '--oci-runtime',
        'runc',
        '--oci-runc',
        '/opt/runc',
        '--oci-root',
        'state',
        '--oci-network',
        'host',
        '--oci-bridge',
        'br1',
        '--oci-pod-cidr',
        '10.1.2.0/24',
        '--oci-registry-config',
        'auth.json',
        '--oci-insecure-registry',
        'reg.local:5000, 10.0.0.9',
      ]).oci,
    ).toEqual({
      runtime: 'runc',
      runcPath: '/opt/runc',
      runcRoot: path.resolve('state'),
      network: 'host',
      bridge: 'br1',
      podCidr: '10.1.2.0/24',
      registryConfig: path.resolve('auth.json'),
      insecureRegistries: ['reg.local:5000', '10.0.0.9'],
    });
  });

  it('parses Engine API settings', () => {
    expect(
      parse(['--oci-runtime', 'podman', '--oci-socket', '/run/podman/podman.sock', '--oci-network', 'edge-net']).oci,
    ).toMatchObject({ runtime: 'podman', socket: '/run/podman/podman.sock', network: 'edge-net' });
    expect(parse(['--oci-runtime', 'docker']).oci).toMatchObject({ runtime: 'docker' });
  });

  it.each([
    [['--oci-runtime', 'containerd'], /--oci-runtime: "containerd" is not one of runc, docker, podman, none/],
    [
      ['--oci-runtime', 'runc', '--oci-network', 'macvlan'],
      /--oci-network: "macvlan" must be bridge or host with --oci-runtime runc/,
    ],
    [['--oci-runtime', 'runc', '--oci-pod-cidr', '10.1.2.0'], /--oci-pod-cidr: "10.1.2.0" is not an IPv4 range/],
    [['--oci-runtime', 'runc', '--oci-pod-cidr', '10.1.2.0/31'], /prefix of 8\.\.30/],
    [
      ['--oci-runtime', 'runc', '--oci-bridge', 'a-bridge-name-too-long'],
      /--oci-bridge: "a-bridge-name-too-long" is not a device name/,
    ],
    [
      ['--oci-runtime', 'runc', '--oci-insecure-registry', 'http://reg'],
      /--oci-insecure-registry: "http:\/\/reg" is not host\[:port\]/,
    ],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args)).toThrow(OptionsError);
    expect(() => parse(args)).toThrow(message);
  });

  it('makes edge-node exit 1, saying what to fix, when its OCI runtime cannot start', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-oci-flags-'));
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'bin/edge-node.js'),
        '--server',
        'http://127.0.0.1:9',
        '--name',
        'n1',
        '--data-dir',
        dir,
        '--oci-runtime',
        'podman',
        '--oci-socket',
        path.join(dir, 'no.sock'),
      ],
      { encoding: 'utf8', env: { ...process.env, EDGE_LOG_LEVEL: 'silent', EDGE_JOIN_TOKEN: 't' }, timeout: 30_000 },
    );
    rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot start the OCI runtime \(podman\): the podman Engine API at .*no\.sock does not answer.*--oci-socket/,
    );
  });
});

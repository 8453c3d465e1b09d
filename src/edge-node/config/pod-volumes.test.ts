import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigObject, Pod } from '../../api/index.js';
import type { ConfigLookup } from './config-store.js';
import { PodVolumes } from './pod-volumes.js';

let dir: string;
let objects: ConfigObject[];
let memoryProblem: string | undefined;
let volumes: PodVolumes;
const enc = (s: string) => new TextEncoder().encode(s);
const lookup: ConfigLookup = {
  get: (kind, ns, name) => objects.find((o) => o.kind === kind && o.namespace === ns && o.name === name),
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-volumes-'));
  memoryProblem = undefined;
  objects = [
    {
      kind: 'ConfigMap',
      namespace: 'default',
      name: 'cfg',
      uid: 'c1',
      resourceVersion: '1',
      data: { 'app.conf': enc('v1'), other: enc('o') },
    },
    { kind: 'Secret', namespace: 'default', name: 'sec', uid: 's1', resourceVersion: '1', data: { token: enc('t1') } },
  ];
  volumes = new PodVolumes({
    diskDir: path.join(dir, 'data', 'volumes'),
    memoryDir: path.join(dir, 'run', 'volumes'),
    memoryProblem: () => Promise.resolve(memoryProblem),
    lookup,
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pod(
  volumesSpec: NonNullable<Pod['spec']['volumes']>,
  mounts: NonNullable<Pod['spec']['containers'][number]['volumeMounts']>,
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-p' },
    spec: { volumes: volumesSpec, containers: [{ name: 'main', image: 'x', volumeMounts: mounts }] },
  };
}

describe('PodVolumes', () => {
  it('projects a configMap as the kubelet does (..data symlink, key links) and swaps ..data on change', async () => {
    const p = pod(
      [{ name: 'c', configMap: { name: 'cfg', defaultMode: 0o640 } }],
      [{ name: 'c', mountPath: '/etc/app' }],
    );
    expect(await volumes.sync(p)).toBeUndefined();
    const [m] = await volumes.mounts(p, p.spec.containers[0]!);
    expect(m).toMatchObject({ volume: 'c', containerPath: '/etc/app', readOnly: true });
    const vdir = m!.hostPath;
    expect(vdir.startsWith(path.join(dir, 'run'))).toBe(true);
    expect(await readlink(path.join(vdir, 'app.conf'))).toBe('..data/app.conf');
    const first = await readlink(path.join(vdir, '..data'));
    expect(first).toMatch(/^\.\.\d{4}_/);
    expect(await readFile(path.join(vdir, 'app.conf'), 'utf8')).toBe('v1');
    expect((await stat(path.join(vdir, 'app.conf'))).mode & 0o777).toBe(0o640);

    objects[0] = { ...objects[0]!, resourceVersion: '2', data: { 'app.conf': enc('v2') } };
    expect(await volumes.sync(p)).toBeUndefined();
    expect(await readFile(path.join(vdir, 'app.conf'), 'utf8')).toBe('v2');
    expect(await readlink(path.join(vdir, '..data'))).not.toBe(first);
    // The key that went is gone; the old timestamped directory too.
    expect((await readdir(vdir)).sort()).toEqual(
      ['..data', await readlink(path.join(vdir, '..data')), 'app.conf'].sort(),
    );
  });

  it('honours items (path, mode) and optional; names a missing object or key', async () => {
    const items = pod(
      [{ name: 's', secret: { secretName: 'sec', items: [{ key: 'token', path: 'nested/tok', mode: 0o400 }] } }],
      [{ name: 's', mountPath: '/s' }],
    );
    expect(await volumes.sync(items)).toBeUndefined();
    const [m] = await volumes.mounts(items, items.spec.containers[0]!);
    expect(await readFile(path.join(m!.hostPath, 'nested', 'tok'), 'utf8')).toBe('t1');
    expect((await stat(path.join(m!.hostPath, 'nested', 'tok'))).mode & 0o777).toBe(0o400);

    const missing = pod([{ name: 'x', secret: { secretName: 'nope' } }], []);
    expect(await volumes.sync(missing)).toEqual({
      missing: 'MountVolume.SetUp failed for volume "x" : secret "nope" not found',
    });
    const badKey = pod([{ name: 'y', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'z' }] } }], []);
    expect((await volumes.sync(badKey))?.missing).toMatch(/non-existent config key: zz/);
    const optional = pod(
      [{ name: 'o', configMap: { name: 'nope', optional: true } }],
      [{ name: 'o', mountPath: '/o' }],
    );
    expect(await volumes.sync(optional)).toBeUndefined();
  });

  it('refuses secret volumes when the run dir is not memory-backed', async () => {
    memoryProblem = 'the run dir is not on tmpfs';
    const p = pod([{ name: 's', secret: { secretName: 'sec' } }], []);
    expect((await volumes.sync(p))?.missing).toMatch(/not on tmpfs/);
  });

  it('copies a subPath of a projection once (no update), keeps emptyDir subPaths inside the volume', async () => {
    const p = pod(
      [
        { name: 'c', configMap: { name: 'cfg' } },
        { name: 'e', emptyDir: { sizeLimit: '1Ki' } },
      ],
      [
        { name: 'c', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        { name: 'e', mountPath: '/work', subPath: 'w' },
      ],
    );
    expect(await volumes.sync(p)).toBeUndefined();
    const [file, empty] = await volumes.mounts(p, p.spec.containers[0]!);
    expect(await readFile(file!.hostPath, 'utf8')).toBe('v1');
    objects[0] = { ...objects[0]!, resourceVersion: '2', data: { 'app.conf': enc('v2') } };
    await volumes.sync(p);
    expect(await readFile(file!.hostPath, 'utf8')).toBe('v1');
    expect(empty).toMatchObject({ readOnly: false, sizeLimitBytes: 1024 });
    expect(empty!.hostPath.startsWith(path.join(dir, 'data'))).toBe(true);

    // A symlink planted in a writable emptyDir cannot lead a subPath out of it.
    const edir = path.dirname(empty!.hostPath);
    await symlink('/etc', path.join(edir, 'escape'));
    const escape = pod([{ name: 'e', emptyDir: {} }], [{ name: 'e', mountPath: '/x', subPath: 'escape' }]);
    await expect(volumes.mounts(escape, escape.spec.containers[0]!)).rejects.toThrow(/leaves its volume/);

    expect(await volumes.overLimit(p)).toBeUndefined();
    await writeFile(path.join(empty!.hostPath, 'big'), Buffer.alloc(8192, 1));
    expect(await volumes.overLimit(p)).toBe('Usage of EmptyDir volume "e" exceeds the limit "1Ki".');
  });

  it('removes everything of a pod', async () => {
    const p = pod(
      [
        { name: 'c', configMap: { name: 'cfg' } },
        { name: 'e', emptyDir: {} },
      ],
      [],
    );
    await volumes.sync(p);
    await volumes.remove('uid-p');
    expect(await readdir(path.join(dir, 'run', 'volumes'))).toEqual([]);
    expect(await readdir(path.join(dir, 'data', 'volumes'))).toEqual([]);
    await mkdir(path.join(dir, 'run', 'volumes', 'stale'), { recursive: true });
    await volumes.sweep(new Set(['uid-q']));
    expect(await lstat(path.join(dir, 'run', 'volumes', 'stale')).catch(() => undefined)).toBeUndefined();
  });
});

/**
 * The pod's `fsGroup` on its volumes and the sized tmpfs of a `medium: Memory` emptyDir, on the real
 * filesystem: chown and mount need root, so those cases run only as root (CI runs them as root).
 */
import { chown, lstat, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigObject, Pod } from '../../api/index.js';
import { mountsUnder } from './memory-mount.js';
import { PodVolumes } from './pod-volumes.js';

const root = process.getuid?.() === 0;
const enc = (s: string) => new TextEncoder().encode(s);
const objects: ConfigObject[] = [
  { kind: 'Secret', namespace: 'default', name: 'sec', uid: 's1', resourceVersion: '1', data: { token: enc('t1') } },
];
let dir: string;
let warnings: string[];
let volumes: PodVolumes;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-fsgroup-'));
  warnings = [];
  volumes = new PodVolumes({
    diskDir: path.join(dir, 'data', 'volumes'),
    memoryDir: path.join(dir, 'run', 'volumes'),
    memoryProblem: () => Promise.resolve(undefined),
    lookup: { get: (kind, ns, name) => objects.find((o) => o.kind === kind && o.name === name) },
    warn: (m) => warnings.push(m),
  });
});
afterEach(async () => {
  await volumes.remove('uid-p');
  await rm(dir, { recursive: true, force: true });
});

function pod(spec: Partial<Pod['spec']>, mounts: Array<{ name: string; mountPath: string }>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-p' },
    spec: { ...spec, containers: [{ name: 'main', image: 'x', volumeMounts: mounts }] },
  };
}

describe.skipIf(!root)('fsGroup and sized memory emptyDirs (as root)', () => {
  it('gives secret and emptyDir volumes to the fsGroup: group read, setgid dirs, updates included', async () => {
    const p = pod(
      {
        securityContext: { fsGroup: 2345 },
        volumes: [
          { name: 's', secret: { secretName: 'sec', defaultMode: 0o400 } },
          { name: 'e', emptyDir: {} },
        ],
      },
      [
        { name: 's', mountPath: '/s' },
        { name: 'e', mountPath: '/e' },
      ],
    );
    expect(await volumes.sync(p)).toBeUndefined();
    const [s, e] = await volumes.mounts(p, p.spec.containers[0]!);
    const token = await stat(path.join(s!.hostPath, 'token'));
    expect(token.gid).toBe(2345);
    expect(token.mode & 0o7777).toBe(0o440); // defaultMode 0400 plus group read, nothing more
    const sdir = await stat(s!.hostPath);
    expect(sdir.gid).toBe(2345);
    expect(sdir.mode & 0o2000).toBe(0o2000);
    expect((await lstat(path.join(s!.hostPath, '..data'))).gid).toBe(2345);
    const edir = await stat(e!.hostPath);
    expect(edir.gid).toBe(2345);
    expect(edir.mode & 0o7777).toBe(0o2777);
    // A file created in the emptyDir later inherits the group (setgid directory).
    await writeFile(path.join(e!.hostPath, 'new'), 'x');
    expect((await stat(path.join(e!.hostPath, 'new'))).gid).toBe(2345);

    objects[0] = { ...objects[0]!, resourceVersion: '2', data: { token: enc('t2') } };
    expect(await volumes.sync(p)).toBeUndefined();
    const updated = await stat(path.join(s!.hostPath, 'token'));
    expect([updated.gid, updated.mode & 0o7777]).toEqual([2345, 0o440]);
  });

  it('OnRootMismatch leaves a volume whose root already matches', async () => {
    const p = pod(
      {
        securityContext: { fsGroup: 2345, fsGroupChangePolicy: 'OnRootMismatch' },
        volumes: [{ name: 'e', emptyDir: {} }],
      },
      [{ name: 'e', mountPath: '/e' }],
    );
    await volumes.sync(p);
    const [e] = await volumes.mounts(p, p.spec.containers[0]!);
    expect((await stat(e!.hostPath)).gid).toBe(2345);
    // A file the container gave another group: a fresh sync (agent restart) does not walk the volume.
    const file = path.join(e!.hostPath, 'mine');
    await writeFile(file, 'x');
    await chown(file, 0, 0);
    const restarted = (policy: 'Always' | 'OnRootMismatch') =>
      pod(
        { securityContext: { fsGroup: 2345, fsGroupChangePolicy: policy }, volumes: [{ name: 'e', emptyDir: {} }] },
        [],
      );
    const fresh = () =>
      new PodVolumes({
        diskDir: path.join(dir, 'data', 'volumes'),
        memoryDir: path.join(dir, 'run', 'volumes'),
        memoryProblem: () => Promise.resolve(undefined),
        lookup: { get: () => undefined },
      });
    await fresh().sync(restarted('OnRootMismatch'));
    expect((await stat(file)).gid).toBe(0);
    await fresh().sync(restarted('Always'));
    expect((await stat(file)).gid).toBe(2345);
  });

  it('mounts a tmpfs of sizeLimit for a Memory emptyDir: the kernel refuses more; removal unmounts it', async () => {
    const p = pod({ volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '64Ki' } }] }, [
      { name: 'm', mountPath: '/m' },
    ]);
    expect(await volumes.sync(p)).toBeUndefined();
    const [m] = await volumes.mounts(p, p.spec.containers[0]!);
    expect(m).toMatchObject({ memory: true, sizeLimitBytes: 65536, readOnly: false });
    expect(await mountsUnder(m!.hostPath)).toEqual([m!.hostPath]);
    expect(warnings).toEqual([]);
    await writeFile(path.join(m!.hostPath, 'fits'), Buffer.alloc(32 * 1024, 1));
    await expect(writeFile(path.join(m!.hostPath, 'too-much'), Buffer.alloc(64 * 1024, 1))).rejects.toThrow(/ENOSPC/);

    // An agent restart (a new materialiser over the same dirs) does not stack a second mount.
    const again = new PodVolumes({
      diskDir: path.join(dir, 'data', 'volumes'),
      memoryDir: path.join(dir, 'run', 'volumes'),
      memoryProblem: () => Promise.resolve(undefined),
      lookup: { get: () => undefined },
    });
    expect(await again.sync(p)).toBeUndefined();
    expect(await mountsUnder(m!.hostPath)).toEqual([m!.hostPath]);
    expect(await readdir(m!.hostPath)).toContain('fits');

    await volumes.remove('uid-p');
    expect(await mountsUnder(path.join(dir, 'run'))).toEqual([]);
    expect(await readdir(path.join(dir, 'run', 'volumes'))).toEqual([]);
  });
});

describe('sized memory emptyDir without the right to mount', () => {
  it('keeps a plain directory (the periodic check bounds it) and says why', async () => {
    const v = new PodVolumes({
      diskDir: path.join(dir, 'data', 'volumes'),
      memoryDir: path.join(dir, 'run', 'volumes'),
      memoryProblem: () => Promise.resolve(undefined),
      lookup: { get: () => undefined },
      mountTmpfs: () => Promise.resolve('mount: only root can do that'),
      warn: (m) => warnings.push(m),
    });
    const p = pod({ volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '1Ki' } }] }, [
      { name: 'm', mountPath: '/m' },
    ]);
    expect(await v.sync(p)).toBeUndefined();
    expect(warnings).toEqual(['emptyDir "m" of pod uid-p: mount: only root can do that']);
    const [m] = await v.mounts(p, p.spec.containers[0]!);
    await writeFile(path.join(m!.hostPath, 'big'), Buffer.alloc(8192, 1));
    expect(await v.overLimit(p)).toBe('Usage of EmptyDir volume "m" exceeds the limit "1Ki".');
  });
});

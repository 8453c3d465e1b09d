import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImagePullError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { digestOf } from '../../../test/support/oci-images.js';
import { tar, type TarMember } from '../../../test/support/tar.js';
import { mountOverlay, mountsUnder, unmountAll } from './overlay.js';
import { Snapshotter, chainIds, type LayerSource, type SnapshotterOptions } from './snapshotter.js';

const base = mkdtempSync(join(tmpdir(), 'snapshotter-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
let n = 0;

/** `raw` compressed by the real zstd CLI (Debian's `zstd`): one frame, with content size and checksum. */
function zstdCli(raw: Buffer): Buffer {
  const path = join(base, `tar-${++n}`);
  writeFileSync(path, raw);
  return execFileSync('zstd', ['-q', '-c', path], { maxBuffer: 1 << 30 });
}

/** A gzipped (or zstd-compressed) layer written to disk, and how many times its blob was asked for. */
async function layer(
  members: TarMember[] | Buffer,
  compression: 'gzip' | 'zstd' = 'gzip',
): Promise<LayerSource & { asked: number; bytes: Buffer; path: string }> {
  const raw = Buffer.isBuffer(members) ? members : await tar(members);
  const blob = compression === 'gzip' ? gzipSync(raw) : zstdCli(raw);
  const path = join(base, `blob-${++n}`);
  writeFileSync(path, blob);
  const src = {
    digest: digestOf(blob),
    mediaType: `application/vnd.oci.image.layer.v1.tar+${compression}`,
    diffId: digestOf(raw),
    path,
    asked: 0,
    bytes: blob,
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    blob: async () => {
      src.asked += 1;
      return path;
    },
  };
  return src;
}

async function open(opts: SnapshotterOptions = {}): Promise<Snapshotter> {
  return Snapshotter.open(join(base, `snapshots-${++n}`), silentLogger(), opts);
}

describe('Snapshotter', () => {
  it('unpacks into a 0700 cache, marks each snapshot complete, and does not unpack it twice', async () => {
    const snaps = await open();
    expect(statSync(snaps.dir).mode & 0o777).toBe(0o700);
    const l = await layer([{ path: 'etc/hostname', data: 'box' }]);
    const [name] = await snaps.prepare([l]);
    expect(name).toBe(l.diffId.slice(7));
    expect(readFileSync(join(snaps.dir, name!, 'etc/hostname'), 'utf8')).toBe('box');
    expect(JSON.parse(readFileSync(join(snaps.dir, `${name}.done`), 'utf8'))).toEqual({
      chainId: l.diffId,
      diffId: l.diffId,
      layer: l.digest,
    });
    await snaps.prepare([l]);
    expect(l.asked).toBe(1);
  });

  it('never lets a directory without its marker stand in for a layer: a planted or torn one is unpacked again', async () => {
    const snaps = await open();
    const l = await layer([{ path: 'bin/app', data: 'real' }]);
    const name = snaps.nameOf(l.diffId);
    mkdirSync(join(snaps.dir, name, 'bin'), { recursive: true });
    writeFileSync(join(snaps.dir, name, 'bin/app'), 'planted');
    await snaps.prepare([l]);
    expect(readFileSync(join(snaps.dir, name, 'bin/app'), 'utf8')).toBe('real');
    expect(l.asked).toBe(1);
    // A marker for another chain ID is no marker; a missing one neither.
    writeFileSync(join(snaps.dir, `${name}.done`), JSON.stringify({ chainId: `sha256:${'0'.repeat(64)}` }));
    await snaps.prepare([l]);
    rmSync(join(snaps.dir, `${name}.done`));
    await snaps.prepare([l]);
    expect(l.asked).toBe(3);
    // The stale copies were moved aside and go at the next open.
    await Snapshotter.open(snaps.dir, silentLogger());
    expect(readdirSync(snaps.dir).sort()).toEqual([name, `${name}.done`].sort());
  });

  it('refuses malformed diff IDs and layer digests before anything touches the disk', async () => {
    const snaps = await open();
    const l = await layer([{ path: 'a', data: 'a' }]);
    for (const diffId of [
      'sha256:../../x',
      `sha256:${'A'.repeat(64)}`,
      `sha512:${'a'.repeat(128)}`,
      '',
      `sha256:${'a'.repeat(64)}/..`,
    ]) {
      await expect(snaps.prepare([{ ...l, diffId }])).rejects.toThrow(/rootfs\.diff_ids\[0\] is not a sha256 digest/);
    }
    await expect(snaps.prepare([{ ...l, digest: 'sha256:../../x' }])).rejects.toThrow(
      /layers\[0\]\.digest: malformed digest/,
    );
    expect(() => snaps.nameOf('sha256:../../etc')).toThrow(ImagePullError);
    expect(() => chainIds([l.diffId, 'sha256:../x'])).toThrow(/rootfs\.diff_ids\[1\]/);
    expect(readdirSync(snaps.dir)).toEqual([]);
    expect(l.asked).toBe(0);
  });

  it('refuses a gzip or zstd bomb with an error naming the layer, keeping nothing half-written', async () => {
    for (const compression of ['gzip', 'zstd'] as const) {
      const snaps = await open({ maxLayerBytes: 1024 * 1024 });
      const bomb = await layer([{ path: 'zeros', data: Buffer.alloc(8 * 1024 * 1024) }], compression);
      expect(bomb.bytes.length).toBeLessThan(16 * 1024); // a few KB that expand to 8 MiB
      const err = await snaps.prepare([bomb]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImagePullError);
      expect((err as Error).message).toContain(`layer ${bomb.digest} expands past 1048576 bytes uncompressed`);
      expect(readdirSync(snaps.dir)).toEqual([]);
    }
  });

  it('unpacks a zstd-compressed layer, on top of a gzipped one', async () => {
    const snaps = await open();
    const lower = await layer([{ path: 'etc/os-release', data: 'ID=test\n' }]);
    const big = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `line ${i} of a config file\n`).join(''));
    const upper = await layer(
      [
        { path: 'usr/', type: 'dir' },
        { path: 'usr/bin/', type: 'dir' },
        { path: 'usr/bin/app', data: 'binary', mode: 0o755 },
        { path: 'usr/share/big.txt', data: big },
        { path: 'usr/bin/alias', type: 'symlink', linkname: 'app' },
      ],
      'zstd',
    );
    expect(upper.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const [, name] = await snaps.prepare([lower, upper]);
    const root = join(snaps.dir, name!);
    expect(readFileSync(join(root, 'usr/bin/app'), 'utf8')).toBe('binary');
    expect(statSync(join(root, 'usr/bin/app')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(root, 'usr/share/big.txt')).equals(big)).toBe(true);
    expect(lstatSync(join(root, 'usr/bin/alias')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(snaps.dir, `${name}.done`))).toBe(true);
  });

  it('refuses a corrupt or truncated zstd layer with an error naming the layer, keeping nothing', async () => {
    const snaps = await open();
    const l = await layer([{ path: 'a', data: 'x'.repeat(100_000) }], 'zstd');
    const cases: Array<[Buffer, string]> = [
      [l.bytes.subarray(0, l.bytes.length - 10), 'unexpected end of the stream (truncated)'],
      [gzipSync(Buffer.from('not zstd')), ''],
    ];
    for (const [blob, detail] of cases) {
      writeFileSync(l.path, blob);
      const err = await snaps.prepare([l]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImagePullError);
      expect((err as Error).message).toContain(`cannot unpack layer ${l.digest}: zstd data is corrupt: ${detail}`);
      expect(readdirSync(snaps.dir)).toEqual([]);
    }
  });

  it('caps the entries of a layer, naming it', async () => {
    const snaps = await open({ maxEntries: 50 });
    const many = await layer(Array.from({ length: 200 }, (_, i): TarMember => ({ path: `f${i}`, data: '' })));
    await expect(snaps.prepare([many])).rejects.toThrow(
      `cannot unpack layer ${many.digest}: the layer has more than 50 entries`,
    );
    expect(readdirSync(snaps.dir)).toEqual([]);
  });

  it('refuses a layer whose content does not match its diff ID, keeping nothing', async () => {
    const snaps = await open();
    const l = await layer([{ path: 'a', data: 'a' }]);
    await expect(snaps.prepare([{ ...l, diffId: digestOf(Buffer.from('other')) }])).rejects.toThrow(/digest mismatch/);
    expect(readdirSync(snaps.dir)).toEqual([]);
  });

  it.skipIf(!isRoot)('mounts snapshots nosuid,nodev', async () => {
    const snaps = await open();
    const l = await layer([{ path: 'bin/su', data: 'x', mode: 0o4755 }]);
    const [name] = await snaps.prepare([l]);
    const bundle = join(base, `bundle-${++n}`);
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(bundle, d), { recursive: true });
    await mountOverlay({
      snapshotsDir: snaps.dir,
      lowers: [name!],
      upper: join(bundle, 'upper'),
      work: join(bundle, 'work'),
      target: join(bundle, 'rootfs'),
    });
    try {
      expect(await mountsUnder(join(bundle, 'rootfs'))).toHaveLength(1);
      const line = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === join(bundle, 'rootfs'));
      const opts = line?.split(' ')[5]?.split(',') ?? [];
      expect(opts).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
      expect(lstatSync(join(bundle, 'rootfs/bin/su')).mode & 0o7777).toBe(0o4755);
    } finally {
      await unmountAll(join(bundle, 'rootfs'));
    }
    await expect(
      mountOverlay({
        snapshotsDir: snaps.dir,
        lowers: ['../../etc'],
        upper: join(bundle, 'upper'),
        work: join(bundle, 'work'),
        target: join(bundle, 'rootfs'),
      }),
    ).rejects.toThrow(/not 64 hex digits/);
    expect(existsSync(join(bundle, 'rootfs/bin'))).toBe(false);
  });
});

/**
 * The Wasm host's `wasi:filesystem` and `wasi:config/store`, driven by a real C guest
 * (testdata/fsprobe: wasi-libc through the preview1 adapter, as C and Rust guests do) exec'd in a
 * running container whose mounts are real directories: a configMap-like volume laid out as the
 * kubelet does (`..data` → timestamped dir, per-key links), an emptyDir with a size limit, and a
 * directory beside them that the guest must never reach.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig, PulledImage } from '../../api/index.js';
import { containerConfig, run, runtimeSuite } from '../testing/runtime-harness.js';
import type { WasmRuntime } from '../wasm-runtime.js';

const suite = runtimeSuite('fs', { fsprobe: 'testdata/fsprobe' });
let rt: WasmRuntime;
let image: PulledImage;
let config: ContainerConfig;
let configDir: string;
let dataDir: string;
let filesDir: string;

const SIZE_LIMIT = 64 * 1024;

/** A kubelet-style atomic-writer directory: `..<ts>/<key>`, `..data` → `..<ts>`, `<key>` → `..data/<key>`. */
function writeConfigVolume(dir: string, ts: string, files: Record<string, string>): void {
  mkdirSync(join(dir, ts), { recursive: true });
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, ts, k), v);
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap
  for (const k of Object.keys(files)) {
    try {
      symlinkSync(`..data/${k}`, join(dir, k));
    } catch {
      // already linked by an earlier version
    }
  }
}

async function probe(...args: string[]): Promise<{ exitCode: number; stdout: string }> {
  const r = await rt.exec(config.id, ['fsprobe', ...args], { timeoutMs: 20_000 });
  return { exitCode: r.exitCode, stdout: r.stdout };
}

beforeAll(async () => {
  rt = (await suite.start('rt')).runtime;
  image = await rt.pullImage(suite.refs.fsprobe);
  const root = join(suite.dir, 'volumes');
  configDir = join(root, 'config');
  dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(root, 'outside'), { recursive: true });
  writeFileSync(join(root, 'outside', 'secret.txt'), 'host secret\n');
  writeConfigVolume(configDir, '..2026_01_01_00_00_00.1', { 'greeting.txt': 'hello v1\n', mode: 'blue\n' });
  // Links a node admin (or a bug) might leave in a volume: both lead out of it.
  symlinkSync(join(root, 'outside', 'secret.txt'), join(configDir, 'abs-link'));
  symlinkSync('../outside/secret.txt', join(configDir, 'rel-link'));
  // Single files mounted by subPath: a config copy (read-only) and a live state file (writable),
  // beside a file of the same node directory that is mounted nowhere.
  filesDir = join(root, 'files');
  mkdirSync(filesDir);
  writeFileSync(join(filesDir, 'config.json'), '{"v":1}\n');
  writeFileSync(join(filesDir, 'state.txt'), 'state 0\n');
  writeFileSync(join(filesDir, 'hidden.txt'), 'mounted nowhere\n');
  config = containerConfig(image, suite.dir, {
    name: 'probe',
    command: ['fsprobe', 'sleep', '600'],
    config: { 'shop.greeting': 'hi there', 'api-key': 's3cr3t' },
    mounts: [
      { volume: 'settings', hostPath: configDir, containerPath: '/etc/settings', readOnly: true },
      { volume: 'scratch', hostPath: dataDir, containerPath: '/data', readOnly: false, sizeLimitBytes: SIZE_LIMIT },
      {
        volume: 'app-config',
        hostPath: join(filesDir, 'config.json'),
        containerPath: '/etc/app/app.json',
        readOnly: true,
      },
      {
        volume: 'app-state',
        hostPath: join(filesDir, 'state.txt'),
        containerPath: '/etc/app/state.txt',
        readOnly: false,
      },
    ],
  });
  await run(rt, config);
}, 300_000);

describe('a read-only config volume', () => {
  it('reads a preopened file through its ..data link, and lists the volume', async () => {
    await expect(probe('cat', '/etc/settings/greeting.txt')).resolves.toEqual({ exitCode: 0, stdout: 'hello v1\n' });
    const ls = await probe('ls', '/etc/settings');
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['..2026_01_01_00_00_00.1', '..data', 'abs-link', 'greeting.txt', 'mode', 'rel-link'].sort(),
    );
    await expect(probe('stat', '/etc/settings/mode')).resolves.toEqual({ exitCode: 0, stdout: 'file 5\n' });
  });

  it('reads a file updated by a ..data swap fresh on the next open', async () => {
    await expect(probe('cat', '/etc/settings/mode')).resolves.toMatchObject({ stdout: 'blue\n' });
    writeConfigVolume(configDir, '..2026_01_01_00_05_00.2', { 'greeting.txt': 'hello v2\n', mode: 'green\n' });
    rmSync(join(configDir, '..2026_01_01_00_00_00.1'), { recursive: true });
    await expect(probe('cat', '/etc/settings/mode')).resolves.toEqual({ exitCode: 0, stdout: 'green\n' });
    await expect(probe('cat', '/etc/settings/greeting.txt')).resolves.toEqual({ exitCode: 0, stdout: 'hello v2\n' });
  });

  it('refuses writes, creation and removal with read-only', async () => {
    for (const args of [
      ['write', '/etc/settings/mode', '3'],
      ['append', '/etc/settings/new.txt', 'x'],
      ['mkdir', '/etc/settings/sub'],
      ['rm', '/etc/settings/mode'],
    ]) {
      await expect(probe(...args), args.join(' ')).resolves.toEqual({
        exitCode: 1,
        stdout: 'error: Read-only file system\n',
      });
    }
    expect(readFileSync(join(configDir, 'mode'), 'utf8')).toBe('green\n');
  });
});

describe('confinement', () => {
  it('cannot climb out of a mount with ..', async () => {
    for (const path of [
      '/etc/settings/../outside/secret.txt',
      '/etc/settings/../../outside/secret.txt',
      '/data/../../outside/secret.txt',
    ]) {
      const r = await probe('cat', path);
      expect(r.exitCode, path).toBe(1);
      expect(r.stdout, path).not.toContain('host secret');
    }
    // `..` that stays inside is fine.
    await expect(probe('cat', '/etc/settings/..data/../mode')).resolves.toEqual({ exitCode: 0, stdout: 'green\n' });
  });

  it('sees no path outside its mounts (absolute host paths included)', async () => {
    for (const path of [join(suite.dir, 'volumes', 'outside', 'secret.txt'), '/etc/hostname', '/']) {
      const r = await probe('cat', path);
      expect(r.exitCode, path).toBe(1);
      expect(r.stdout, path).toMatch(/^error: /);
    }
    await expect(probe('ls', '/')).resolves.toMatchObject({ exitCode: 1 });
  });

  it('does not follow a symlink in the volume that points out (absolute or relative)', async () => {
    for (const link of ['abs-link', 'rel-link']) {
      const r = await probe('cat', `/etc/settings/${link}`);
      expect(r, link).toEqual({ exitCode: 1, stdout: 'error: Operation not permitted\n' });
    }
  });

  it('lets a guest create only symlinks that go down inside its mount', async () => {
    await expect(probe('symlink', '../outside/secret.txt', '/data/out')).resolves.toEqual({
      exitCode: 1,
      stdout: 'error: Operation not permitted\n',
    });
    await expect(probe('symlink', '/etc/hostname', '/data/out')).resolves.toMatchObject({ exitCode: 1 });
    await expect(probe('append', '/data/inside.txt', 'inside\n')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('symlink', 'inside.txt', '/data/link')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('cat', '/data/link')).resolves.toEqual({ exitCode: 0, stdout: 'inside\n' });
  });
});

describe('a writable emptyDir with a size limit', () => {
  it('creates, lists, reads back and removes files and directories', async () => {
    await expect(probe('mkdir', '/data/sub')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('write', '/data/sub/a.bin', '1000')).resolves.toEqual({ exitCode: 0, stdout: 'wrote 1000\n' });
    await expect(probe('stat', '/data/sub/a.bin')).resolves.toEqual({ exitCode: 0, stdout: 'file 1000\n' });
    await expect(probe('ls', '/data/sub')).resolves.toEqual({ exitCode: 0, stdout: 'a.bin\n' });
    expect(readFileSync(join(dataDir, 'sub', 'a.bin')).byteLength).toBe(1000);
    await expect(probe('rm', '/data/sub/a.bin')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('rmdir', '/data/sub')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('ls', '/data/sub')).resolves.toEqual({
      exitCode: 1,
      stdout: 'error: No such file or directory\n',
    });
  });

  it('fails writes past sizeLimit with insufficient-space, and frees space on removal', async () => {
    const r = await probe('write', '/data/big.bin', String(SIZE_LIMIT * 2));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^wrote \d+\nerror: No space left on device\n$/);
    const wrote = Number(/wrote (\d+)/.exec(r.stdout)![1]);
    expect(wrote).toBeLessThanOrEqual(SIZE_LIMIT);
    expect(readFileSync(join(dataDir, 'big.bin')).byteLength).toBe(wrote);
    await expect(probe('rm', '/data/big.bin')).resolves.toMatchObject({ exitCode: 0 });
    await expect(probe('write', '/data/again.bin', String(SIZE_LIMIT / 2))).resolves.toEqual({
      exitCode: 0,
      stdout: `wrote ${SIZE_LIMIT / 2}\n`,
    });
  });
});

describe('wasi:config/store', () => {
  it('gets a key, none for a missing one, and all entries', async () => {
    await expect(probe('config', 'shop.greeting')).resolves.toEqual({ exitCode: 0, stdout: 'hi there\n' });
    await expect(probe('config', 'nope')).resolves.toEqual({ exitCode: 0, stdout: '(none)\n' });
    const all = await probe('config-all');
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual(['api-key=s3cr3t', 'shop.greeting=hi there']);
  });
});

describe('single files mounted by subPath', () => {
  it('shows them in a directory of their own that holds nothing else', async () => {
    await expect(probe('cat', '/etc/app/app.json')).resolves.toEqual({ exitCode: 0, stdout: '{"v":1}\n' });
    await expect(probe('stat', '/etc/app/app.json')).resolves.toEqual({ exitCode: 0, stdout: 'file 8\n' });
    const ls = await probe('ls', '/etc/app');
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['app.json', 'state.txt']);
    for (const path of ['/etc/app/hidden.txt', '/etc/app/config.json', '/etc/app/../outside/secret.txt']) {
      const r = await probe('cat', path);
      expect(r.exitCode, path).toBe(1);
      expect(r.stdout, path).toMatch(/^error: /);
    }
    await expect(probe('cat', '/etc/app/app.json/x')).resolves.toEqual({
      exitCode: 1,
      stdout: 'error: Not a directory\n',
    });
  });

  it('writes a writable file in place, refuses the read-only one and any change of the directory', async () => {
    await expect(probe('append', '/etc/app/state.txt', 'state 1\n')).resolves.toMatchObject({ exitCode: 0 });
    expect(readFileSync(join(filesDir, 'state.txt'), 'utf8')).toBe('state 0\nstate 1\n');
    for (const args of [
      ['write', '/etc/app/app.json', '3'],
      ['append', '/etc/app/new.txt', 'x'],
      ['mkdir', '/etc/app/sub'],
      ['rm', '/etc/app/state.txt'],
      ['symlink', 'app.json', '/etc/app/link'],
    ]) {
      await expect(probe(...args), args.join(' ')).resolves.toEqual({
        exitCode: 1,
        stdout: 'error: Read-only file system\n',
      });
    }
    expect(readFileSync(join(filesDir, 'config.json'), 'utf8')).toBe('{"v":1}\n');
  });
});

describe('mount checks', () => {
  it("refuses a file mount whose directory is another volume's mount path, naming the volume", async () => {
    const file = join(suite.dir, 'volumes', 'outside', 'secret.txt');
    const bad = containerConfig(image, suite.dir, {
      mounts: [
        { volume: 'settings', hostPath: configDir, containerPath: '/etc/x', readOnly: true },
        { volume: 'one-file', hostPath: file, containerPath: '/etc/x/secret.txt', readOnly: true },
      ],
    });
    await expect(rt.createContainer(bad)).rejects.toThrow(
      /volume one-file cannot be mounted at \/etc\/x\/secret.txt: .*another volume is mounted/,
    );
  });
});

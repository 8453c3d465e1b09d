/**
 * A container writing faster than its log file is paused, not buffered: real runc runs busybox's
 * `seq` into a log file that is a FIFO the test drains slowly (a disk far slower than the pipe).
 * Without backpressure the writer would pass its pending bound and drop lines; with it, every
 * line arrives in order and nothing is dropped.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import type { OciExit } from '../adapter.js';
import { runCommand } from '../command.js';
import { runcConfig } from './bundle-config.js';
import { removeCgroupDirs } from './cgroups.js';
import { RuncProcess } from './runc-process.js';

const RUNC = '/usr/sbin/runc';
const BUSYBOX = '/usr/bin/busybox';
const usable = process.getuid?.() === 0 && existsSync(RUNC) && existsSync(BUSYBOX);
const LINES = 300_000; // ~2 MB of output, past the log writer's 1 MiB pending bound

let dir: string;
const id = `edgeplane-logbp-${process.pid}`;
const cgroupsPath = `/edgeplane-test/${id}`;
const ttyId = `edgeplane-ttyerr-${process.pid}`;
const ttyCgroupsPath = `/edgeplane-test/${ttyId}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runc-process-'));
});

afterAll(async () => {
  if (usable) {
    for (const [cid, cg] of [
      [id, cgroupsPath],
      [ttyId, ttyCgroupsPath],
    ] as const) {
      await runCommand(RUNC, ['--root', join(dir, 'state'), 'delete', '--force', cid], {
        allowFailure: true,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      await removeCgroupDirs(cg).catch(() => undefined);
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!usable)('RuncProcess log backpressure', () => {
  it('pauses a container that writes faster than its log is written: every line kept, in order, none dropped', async () => {
    const bundle = join(dir, 'bundle');
    const rootfs = join(bundle, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    await writeFile(join(bundle, 'hosts'), '127.0.0.1 localhost\n');
    await writeFile(join(bundle, 'hostname'), 'logbp\n');
    const config = runcConfig({
      process: { args: ['/bin/busybox', 'seq', '1', String(LINES)], env: ['PATH=/bin'], cwd: '/' },
      user: { uid: 0, gid: 0 },
      hostname: 'logbp',
      rootfs,
      cgroupsPath,
      limits: {},
      etcFiles: { hosts: join(bundle, 'hosts'), hostname: join(bundle, 'hostname') },
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
    // The "disk": a FIFO read in small bites, one per timer tick.
    const logPath = join(dir, 'log', '0.log');
    await mkdir(join(dir, 'log'));
    execFileSync('mkfifo', [logPath]);
    let text = '';
    const read = new Promise<void>((resolve, reject) => {
      const fifo = createReadStream(logPath, { highWaterMark: 16 * 1024 });
      fifo.on('data', (d) => {
        text += d.toString();
        fifo.pause();
        setTimeout(() => fifo.resume(), 1);
      });
      fifo.on('end', resolve);
      fifo.on('error', reject);
    });
    let exit: OciExit | undefined;
    const proc = new RuncProcess({
      runc: RUNC,
      root: join(dir, 'state'),
      id,
      bundle,
      logPath,
      cgroupsPath,
      logger: silentLogger(),
      onExit: (e) => {
        exit = e;
      },
    });
    await proc.start();
    expect(await proc.waitExit(120_000)).toBe(true);
    await read;
    expect(exit?.exitCode).toBe(0);
    const lines = text.split('\n').filter(Boolean);
    expect(lines.some((l) => l.includes('of output dropped'))).toBe(false);
    expect(lines).toHaveLength(LINES);
    const numbers = lines.map((l) => l.split(' ').slice(3).join(' '));
    expect(numbers.every((n, i) => n === String(i + 1))).toBe(true);
  }, 150_000);

  it('a container on a terminal that runc cannot start: runc’s own error is the start error and the exit message', async () => {
    const bundle = join(dir, 'tty-bundle');
    const rootfs = join(bundle, 'rootfs');
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    await writeFile(join(bundle, 'hosts'), '127.0.0.1 localhost\n');
    await writeFile(join(bundle, 'hostname'), 'ttyerr\n');
    const config = runcConfig({
      process: { args: ['/bin/no-such-program'], env: ['PATH=/bin'], cwd: '/' },
      terminal: true,
      user: { uid: 0, gid: 0 },
      hostname: 'ttyerr',
      rootfs,
      cgroupsPath: ttyCgroupsPath,
      limits: {},
      etcFiles: { hosts: join(bundle, 'hosts'), hostname: join(bundle, 'hostname') },
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
    let exit: OciExit | undefined;
    const proc = new RuncProcess({
      runc: RUNC,
      root: join(dir, 'state'),
      id: ttyId,
      bundle,
      logPath: join(dir, 'tty.log'),
      cgroupsPath: ttyCgroupsPath,
      tty: true,
      logger: silentLogger(),
      onExit: (e) => {
        exit = e;
      },
    });
    await expect(proc.start()).rejects.toThrow(/no-such-program/);
    expect(exit?.message).toMatch(/no-such-program/);
    expect(exit?.exitCode).not.toBe(0);
  }, 60_000);
});

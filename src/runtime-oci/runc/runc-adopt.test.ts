/**
 * Containers outlive the agent (issue 20), with real runc and busybox: a container under the shim
 * keeps running and writing after the agent's read ends are gone (a killed agent), and a new
 * `RuncProcess` adopts it: same pid, its output read on with no line lost, its exit reported — also
 * an exit that came while no agent read. A container with stdin, and one on a terminal, outlive the
 * agent too: their stdin stays open while no agent writes (no end read), the next agent's attaches write
 * to it and resize the terminal, and `stdinOnce` closes it through the next agent. Also: a container
 * runc cannot start still fails its start with runc's own message (read through the shim's pipes).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import type { OciExit } from '../adapter.js';
import { runCommand } from '../command.js';
import { runcConfig } from './bundle-config.js';
import { removeCgroupDirs } from './cgroups.js';
import { RuncProcess } from './runc-process.js';
import { shimExit } from './runc-shim.js';

const RUNC = '/usr/sbin/runc';
const BUSYBOX = '/usr/bin/busybox';
const usable = process.getuid?.() === 0 && existsSync(RUNC) && existsSync(BUSYBOX);
// Writes a numbered line to stdout and the same number to /count (read from the host) every 20 ms.
const COUNTER = 'i=0; while :; do i=$((i+1)); echo line$i; echo $i > /count; sleep 0.02; done';

let dir: string;
const ids: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runc-adopt-'));
});

afterAll(async () => {
  if (usable)
    for (const id of ids) {
      await runCommand(RUNC, ['--root', join(dir, 'state'), 'delete', '--force', id], {
        allowFailure: true,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      await removeCgroupDirs(`/edgeplane-test/${id}`).catch(() => undefined);
    }
  await rm(dir, { recursive: true, force: true });
});

/** A bundle running `args` with busybox; returns the process factory for it. */
async function bundleFor(name: string, args: string[], io: { stdin?: { once: boolean }; tty?: boolean } = {}) {
  const id = `edgeplane-adopt-${name}-${process.pid}`;
  ids.push(id);
  const bundle = join(dir, name);
  const rootfs = join(bundle, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  for (const tool of ['sh', 'sleep', 'echo', 'stty'])
    await runCommand('ln', ['-s', 'busybox', join(rootfs, 'bin', tool)]);
  await writeFile(join(bundle, 'hosts'), '127.0.0.1 localhost\n');
  await writeFile(join(bundle, 'hostname'), `${name}\n`);
  const config = runcConfig({
    process: { args, env: ['PATH=/bin', 'PS1=$ '], cwd: '/' },
    ...(io.tty ? { terminal: true } : {}),
    user: { uid: 0, gid: 0 },
    hostname: name,
    rootfs,
    cgroupsPath: `/edgeplane-test/${id}`,
    limits: {},
    etcFiles: { hosts: join(bundle, 'hosts'), hostname: join(bundle, 'hostname') },
  });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(config));
  const logPath = join(dir, `${name}.log`);
  const exits: OciExit[] = [];
  const proc = (): RuncProcess =>
    new RuncProcess({
      runc: RUNC,
      root: join(dir, 'state'),
      id,
      bundle,
      logPath,
      cgroupsPath: `/edgeplane-test/${id}`,
      ...io,
      logger: silentLogger(),
      onExit: (e) => exits.push(e),
    });
  const count = async (): Promise<number> =>
    Number((await readFile(join(rootfs, 'count'), 'utf8').catch(() => '0')).trim() || 0);
  /** The log's text, every line's payload after its CRI prefix. */
  const logged = async (): Promise<string> =>
    (await readFile(logPath, 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => l.split(' ').slice(3).join(' '))
      .join('\n');
  /** Starts the container with a first agent that is then gone (killed: its read ends close). */
  const startedThenGone = async (): Promise<{ first: RuncProcess; pid: number; startedAt: string }> => {
    const first = proc();
    const startedAt = await first.start();
    const pid = first.pid!;
    first.release();
    return { first, pid, startedAt };
  };
  /** The pid of the process holding the container's stdin pipe open. */
  const stdinHolder = async (): Promise<number> => Number((await readFile(join(bundle, 'stdin.pid'), 'utf8')).trim());
  return { id, bundle, logPath, exits, proc, count, logged, startedThenGone, stdinHolder };
}

/** Writes `text` to an attach's stdin, resolving once the container's pipe took it. */
function write(stdin: NodeJS.WritableStream | undefined, text: string): Promise<void> {
  if (!stdin) throw new Error('the attach has no stdin');
  return new Promise((resolve, reject) => stdin.write(text, (err) => (err ? reject(err) : resolve())));
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runcState(id: string): Promise<{ status: string; pid: number }> {
  const r = await runCommand(RUNC, ['--root', join(dir, 'state'), 'state', id], { timeoutMs: 10_000 });
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/** Numbers of the `lineN` entries of a CRI log, in order. */
async function loggedNumbers(logPath: string): Promise<number[]> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  return [...text.matchAll(/ stdout F line(\d+)$/gm)].map((m) => Number(m[1]));
}

describe.skipIf(!usable)('runc containers outlive the agent and are adopted', () => {
  it('keeps writing with no reader (no SIGPIPE), then is adopted: same pid, every line logged in order, its exit reported', async () => {
    const b = await bundleFor('counter', ['/bin/sh', '-c', COUNTER]);
    const first = b.proc();
    const startedAt = await first.start();
    const pid = first.pid!;
    await until('output logged', async () => ((await loggedNumbers(b.logPath)).length > 3 ? true : undefined));
    // The agent goes: its read ends close, as they do when it is killed.
    first.release();
    const c0 = await b.count();
    // 40 more writes (more than a pipe's worth would not fit: 40 short lines do) with nobody reading.
    await until('40 writes without a reader', async () => ((await b.count()) >= c0 + 40 ? true : undefined));
    expect(await runcState(b.id)).toMatchObject({ status: 'running', pid });
    const second = b.proc();
    await second.adopt(pid, startedAt);
    const target = (await b.count()) + 20;
    await until('output after the adoption logged', async () => {
      const ns = await loggedNumbers(b.logPath);
      return (ns.at(-1) ?? 0) >= target ? true : undefined;
    });
    const ns = await loggedNumbers(b.logPath);
    expect(ns.every((n, i) => n === i + 1)).toBe(true);
    expect(b.exits).toHaveLength(0);
    await second.stop(0);
    expect(await second.waitExit(10_000)).toBe(true);
    expect(b.exits.map((e) => e.exitCode)).toEqual([137]);
  }, 60_000);

  it('an exit that came while no agent read is reported on adoption, with the time it happened', async () => {
    const b = await bundleFor('gone', ['/bin/sh', '-c', COUNTER]);
    const { first, pid, startedAt } = await b.startedThenGone();
    await runCommand(RUNC, ['--root', join(dir, 'state'), 'kill', b.id, 'KILL'], { timeoutMs: 10_000 });
    const exit = await until('the shim recording the exit', () => shimExit(b.bundle));
    expect(exit.code).toBe(137);
    const second = b.proc();
    await second.adopt(pid, startedAt);
    expect(await second.waitExit(10_000)).toBe(true);
    expect(b.exits).toHaveLength(1);
    expect(b.exits[0]?.exitCode).toBe(137);
    expect(Date.parse(b.exits[0]!.finishedAt)).toBeLessThanOrEqual(Date.now());
    expect(first.exit).toBeUndefined();
  }, 60_000);

  it('a container with stdin keeps it open while no agent writes; the next agent writes to it, and stdinOnce closes it', async () => {
    const b = await bundleFor('stdin', ['/bin/sh', '-c', 'while read l; do echo got:$l; done; echo eof; exit 7'], {
      stdin: { once: true },
    });
    const first = b.proc();
    const startedAt = await first.start();
    const pid = first.pid!;
    const a1 = first.attach({ stdin: true, tty: false });
    await write(a1.stdin, 'one\n');
    await until('the first line read', async () => ((await b.logged()).includes('got:one') ? true : undefined));
    // The agent is killed mid-attach: nothing closes the container's stdin.
    first.release();
    await new Promise((r) => setTimeout(r, 300));
    expect(await runcState(b.id)).toMatchObject({ status: 'running', pid });
    expect(await b.logged()).not.toContain('eof');
    const second = b.proc();
    await second.adopt(pid, startedAt);
    const a2 = second.attach({ stdin: true, tty: false });
    await write(a2.stdin, 'two\n');
    await until('the line written after the adoption read', async () =>
      (await b.logged()).includes('got:two') ? true : undefined,
    );
    // stdinOnce: the writing attach's client ends its stdin: the container reads its end and exits.
    a2.stdin!.end();
    expect(await a2.exited).toBe(7);
    expect(await second.waitExit(10_000)).toBe(true);
    expect(b.exits.map((e) => e.exitCode)).toEqual([7]);
    expect((await b.logged()).match(/got:\w+|eof/g)).toEqual(['got:one', 'got:two', 'eof']);
    // The holder of the stdin pipe is gone with it.
    const holder = await b.stdinHolder();
    await until('the stdin holder gone', () => Promise.resolve(existsSync(`/proc/${holder}`) ? undefined : true));
  }, 60_000);

  it('an agent that died between marking stdin closed and ending its holder: the next agent ends it', async () => {
    const b = await bundleFor(
      'stdin-crash',
      ['/bin/sh', '-c', 'while read l; do echo got:$l; done; echo eof; exit 5'],
      {
        stdin: { once: true },
      },
    );
    const { pid, startedAt } = await b.startedThenGone();
    // What closeShimStdin writes first; the agent is gone before it ends the holder.
    await writeFile(join(b.bundle, 'stdin.closed'), '');
    await new Promise((r) => setTimeout(r, 200));
    expect(await runcState(b.id)).toMatchObject({ status: 'running', pid });
    const second = b.proc();
    await second.adopt(pid, startedAt);
    expect(await second.waitExit(10_000)).toBe(true);
    expect(b.exits.map((e) => e.exitCode)).toEqual([5]);
    expect(await b.logged()).toContain('eof');
  }, 60_000);

  it('an adoption that fails still ends the holder of a stdin marked closed (it would outlive the container)', async () => {
    const b = await bundleFor('stdin-fail', ['/bin/sh', '-c', 'while read l; do echo got:$l; done; exit 3'], {
      stdin: { once: true },
    });
    const { pid, startedAt } = await b.startedThenGone();
    await writeFile(join(b.bundle, 'stdin.closed'), '');
    const holder = await b.stdinHolder();
    expect(existsSync(`/proc/${holder}`)).toBe(true);
    // The output pipe gone: the next agent cannot read the container, and its adoption fails.
    await rename(join(b.bundle, 'out.fifo'), join(b.bundle, 'out.fifo.away'));
    await expect(b.proc().adopt(pid, startedAt)).rejects.toThrow(/ENOENT/);
    await until('the stdin holder gone', () => Promise.resolve(existsSync(`/proc/${holder}`) ? undefined : true));
  }, 60_000);

  it('a container on a terminal outlives the agent: the next agent types into it and resizes it', async () => {
    const b = await bundleFor('tty', ['/bin/sh'], { stdin: { once: false }, tty: true });
    const first = b.proc();
    const startedAt = await first.start();
    const pid = first.pid!;
    const a1 = first.attach({ stdin: true, tty: true });
    await write(a1.stdin, 'echo first-$((20+1))\n');
    await until('the shell answering', async () => ((await b.logged()).includes('first-21') ? true : undefined));
    first.release();
    await new Promise((r) => setTimeout(r, 300));
    expect(await runcState(b.id)).toMatchObject({ status: 'running', pid });
    const second = b.proc();
    await second.adopt(pid, startedAt);
    const a2 = second.attach({ stdin: true, tty: true });
    a2.resize({ width: 123, height: 45 });
    await new Promise((r) => setTimeout(r, 200));
    await write(a2.stdin, 'echo second-$((40+2)); stty size\n');
    await until('the shell answering the next agent', async () =>
      (await b.logged()).includes('45 123') ? true : undefined,
    );
    expect(await b.logged()).toContain('second-42');
    await write(a2.stdin, 'exit 3\n');
    expect(await a2.exited).toBe(3);
    expect(b.exits.map((e) => e.exitCode)).toEqual([3]);
  }, 60_000);

  it('a container runc cannot start fails its start with runc’s message, read through the shim', async () => {
    const b = await bundleFor('nostart', ['/bin/no-such-program']);
    const proc = b.proc();
    await expect(proc.start()).rejects.toThrow(/no-such-program/);
    expect(b.exits[0]?.exitCode).not.toBe(0);
  }, 60_000);
});

/**
 * Command components (`wasi:cli/run`, no HTTP handler) as containers and `Runtime.exec`, with the
 * countdown example: args and env reach the guest, exit codes come back, a guest can wait on a clock;
 * and exec output capped per stream (testdata/flood).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, ServiceUnavailableError, TimeoutError } from '../api/index.js';
import type { PulledImage } from '../api/index.js';
import {
  addBlob,
  buildComponent,
  containerConfig,
  nextExit,
  run,
  send,
  startRuntime,
} from './testing/runtime-harness.js';

const blobs = new Map<string, Uint8Array>();
let dir: string;
let countdown: PulledImage;
let helloC: PulledImage;
let flood: PulledImage;
let rt: Awaited<ReturnType<typeof startRuntime>>['runtime'];

const logLines = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\S+ (stdout|stderr) F /, '$1: '));

beforeAll(async () => {
  const countdownRef = addBlob(blobs, 'countdown', buildComponent('countdown'));
  const helloCRef = addBlob(blobs, 'hello-c', buildComponent('hello-c'));
  const floodRef = addBlob(blobs, 'flood', buildComponent('testdata/flood'));
  dir = mkdtempSync(join(tmpdir(), 'edgeplane-commands-'));
  rt = (await startRuntime(join(dir, 'data'), blobs)).runtime;
  countdown = await rt.pullImage(countdownRef);
  helloC = await rt.pullImage(helloCRef);
  flood = await rt.pullImage(floodRef);
}, 300_000);

afterAll(async () => {
  await rt?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a command container', () => {
  it('runs to completion with its args, logs its output, and exits 0 (Completed)', async () => {
    const cfg = containerConfig(countdown, dir, { name: 'countdown', args: ['4'] });
    const exited = nextExit(rt, cfg.id);
    await run(rt, cfg);
    expect((await exited).status).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    await rt.removeContainer(cfg.id); // closes (flushes) the log
    expect(logLines(cfg.logPath)).toEqual([
      'stdout: countdown: 4',
      'stdout: countdown: 3',
      'stdout: countdown: 2',
      'stdout: countdown: 1',
    ]);
  });

  it('ends with the exit code the guest chose (env EXIT_CODE), reason Error', async () => {
    const cfg = containerConfig(countdown, dir, { env: { COUNT: '1', EXIT_CODE: '3' } });
    const exited = nextExit(rt, cfg.id);
    await run(rt, cfg);
    expect((await exited).status).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
    await rt.removeContainer(cfg.id);
    expect(logLines(cfg.logPath)).toEqual(['stdout: countdown: 1']);
  });

  it('can wait on the monotonic clock (the wait really blocks, it does not spin through)', async () => {
    const cfg = containerConfig(countdown, dir, { env: { COUNT: '2', INTERVAL_MS: '150' } });
    const exited = nextExit(rt, cfg.id);
    await run(rt, cfg);
    const { status } = await exited;
    expect(status.exitCode).toBe(0);
    expect(Date.parse(status.finishedAt!) - Date.parse(status.startedAt!)).toBeGreaterThanOrEqual(250);
    await rt.removeContainer(cfg.id);
  });

  it('has no HTTP endpoint to serve', async () => {
    const cfg = await run(rt, containerConfig(countdown, dir, { env: { COUNT: '100', INTERVAL_MS: '100' } }));
    await expect(send(rt, cfg.id)).rejects.toThrow(/not serving \(a command without an HTTP handler\)/);
    await rt.removeContainer(cfg.id);
  });
});

describe('exec', () => {
  it('runs the command in a fresh instance with the container env and returns its output and exit code', async () => {
    const cfg = await run(rt, containerConfig(countdown, dir, { env: { COUNT: '1000', INTERVAL_MS: '100' } }));
    await expect(rt.exec(cfg.id, ['countdown', '2'], { timeoutMs: 10_000 })).resolves.toEqual({
      exitCode: 0,
      stdout: 'countdown: 2\ncountdown: 1\n',
      stderr: '',
    });
    const failing = await run(
      rt,
      containerConfig(countdown, dir, { env: { COUNT: '1000', INTERVAL_MS: '100', EXIT_CODE: '5' } }),
    );
    await expect(rt.exec(failing.id, ['countdown', '0'], { timeoutMs: 10_000 })).resolves.toMatchObject({
      exitCode: 5,
      stdout: '',
    });
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    await rt.removeContainer(cfg.id);
    await rt.removeContainer(failing.id);
  });

  it('a cancelled exec ends (its executor with it) instead of running to its timeout; the next exec runs', async () => {
    const cfg = await run(rt, containerConfig(countdown, dir, { env: { COUNT: '1000', INTERVAL_MS: '100' } }));
    // 1000 ticks of 100 ms: far past this test's own timeout unless the cancel ends it.
    const abort = new AbortController();
    const long = rt.exec(cfg.id, ['countdown', '1000'], { timeoutMs: 3_600_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    await expect(long).rejects.toThrow('command "countdown 1000" was cancelled');
    await expect(rt.exec(cfg.id, ['countdown', '1'], { timeoutMs: 30_000 })).resolves.toMatchObject({
      exitCode: 0,
      stdout: 'countdown: 1\n',
    });
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    await rt.removeContainer(cfg.id);
  });

  it('gives the command the stdin it was handed (wasi:cli/stdin, read across chunks to its end), else an empty one', async () => {
    const cfg = await run(rt, containerConfig(countdown, dir, { env: { COUNT: '1000', INTERVAL_MS: '100' } }));
    const input = Buffer.from(`${'0123456789abcdef'.repeat(20_000)}\nend\n`);
    const r = await rt.exec(cfg.id, ['countdown', 'cat'], { timeoutMs: 30_000, stdin: input });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(input.toString());
    expect(r.stderr).toBe(`countdown: copied ${input.length} bytes\n`);
    await expect(rt.exec(cfg.id, ['countdown', 'cat'], { timeoutMs: 30_000 })).resolves.toEqual({
      exitCode: 0,
      stdout: '',
      stderr: 'countdown: copied 0 bytes\n',
    });
    await rt.removeContainer(cfg.id);
  });

  it('keeps the first MiB of each stream of a flooding command and says how much it dropped', async () => {
    const cfg = await run(rt, containerConfig(flood, dir, { name: 'flood' }));
    const r = await rt.exec(cfg.id, ['flood', String(3_000_000), String(2_000_000)], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toHaveLength(1024 * 1024);
    expect(r.stdout.slice(0, 20)).toBe('01234567890123456789');
    const [kept, ...notes] = r.stderr.split('[edgeplane] ');
    expect(kept).toHaveLength(1024 * 1024 + 1); // the kept MiB, then a newline before the notes
    expect(notes).toEqual([
      `stdout truncated: ${3_000_000 - 1024 * 1024} bytes past the first 1048576 dropped\n`,
      `stderr truncated: ${2_000_000 - 1024 * 1024} bytes past the first 1048576 dropped\n`,
    ]);
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    await rt.removeContainer(cfg.id);
  }, 120_000);

  it('rejects with TimeoutError past its timeout; the container keeps running and later execs work', async () => {
    const cfg = await run(rt, containerConfig(countdown, dir, { env: { COUNT: '1000', INTERVAL_MS: '100' } }));
    await expect(rt.exec(cfg.id, ['countdown', '50'], { timeoutMs: 500 })).rejects.toThrow(TimeoutError);
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    expect(rt.stats.isolatedPods).toBeGreaterThanOrEqual(1);
    await expect(rt.exec(cfg.id, ['countdown', '1'], { timeoutMs: 10_000 })).resolves.toMatchObject({
      exitCode: 0,
      stdout: 'countdown: 1\n',
    });
    await rt.removeContainer(cfg.id);
  });

  it('explains why it cannot run: no wasi:cli/run export, or a container that is not running', async () => {
    const http = await run(rt, containerConfig(helloC, dir));
    const err = await rt.exec(http.id, ['ls'], { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/does not export wasi:cli\/run/);
    await rt.stopContainer(http.id, 1000);
    await expect(rt.exec(http.id, ['ls'], { timeoutMs: 1000 })).rejects.toThrow(ServiceUnavailableError);
    await rt.removeContainer(http.id);
  });
});

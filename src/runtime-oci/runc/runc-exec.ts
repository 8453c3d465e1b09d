/**
 * `runc exec`: a command in a running container's namespaces and cgroup, with the container's env
 * and working directory, its output captured. On timeout the command's own process is SIGKILLed
 * (its host pid comes from `--pid-file`: killing `runc exec` alone would leave it running).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TimeoutError } from '../../api/index.js';
import type { ExecResult } from '../../api/index.js';

/** Most output kept per stream. */
const MAX_OUTPUT = 1024 * 1024;

/** Runs `command` in container `id`; rejects with TimeoutError past `timeoutMs`. */
export async function runcExec(
  opts: { runc: string; root: string; id: string; tmpDir: string },
  command: readonly string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const pidFile = join(opts.tmpDir, `exec-${randomUUID().slice(0, 8)}.pid`);
  const child = spawn(opts.runc, ['--root', opts.root, 'exec', '--pid-file', pidFile, opts.id, ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < MAX_OUTPUT) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < MAX_OUTPUT) stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void readFile(pidFile, 'utf8')
      .then((text) => process.kill(Number(text.trim()), 'SIGKILL'))
      .catch(() => undefined)
      .finally(() => child.kill('SIGKILL'));
  }, timeoutMs);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve(126);
    });
    child.once('close', (c, signal) => resolve(c ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
  clearTimeout(timer);
  await rm(pidFile, { force: true });
  if (timedOut) throw new TimeoutError(`command ${JSON.stringify(command.join(' '))} timed out after ${timeoutMs} ms`);
  // runc's own failure (no such executable, container not running) comes as a log line: keep its message.
  const runcError = /level=error msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  if (runcError) stderr = `${runcError[1]?.replace(/\\(.)/g, '$1') ?? ''}\n`;
  return { exitCode: code, stdout: stdout.slice(0, MAX_OUTPUT), stderr: stderr.slice(0, MAX_OUTPUT) };
}

/**
 * `runc exec` with its stdio as streams (kubectl `exec -i`, `cp`): without a tty, runc hands its own
 * stdin, stdout and stderr to the command, so the pipes the agent holds are the command's. Output is
 * read as it comes; the agent stops reading when its peer is slow, and the command then blocks on a
 * full pipe. `kill` SIGKILLs the command's own process (its host pid from `--pid-file`: killing
 * `runc exec` alone would leave it running), then runc.
 *
 * A tty is refused for now: `runc exec -t` needs a terminal of its own (a pty on its stdio, or a pty
 * master received over `--console-socket` with SCM_RIGHTS, which Node cannot do without a native
 * module), which the agent does not have yet.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequestError } from '../../api/index.js';
import type { ExecProcess, ExecStreamOptions } from '../../api/index.js';

/** Starts `command` in container `id` with streamed stdio. */
export function runcExecStream(
  opts: { runc: string; root: string; id: string; tmpDir: string },
  command: readonly string[],
  stream: ExecStreamOptions,
): Promise<ExecProcess> {
  if (stream.tty)
    return Promise.reject(new BadRequestError('a tty (kubectl exec -t) is not supported for runc containers yet'));
  const pidFile = join(opts.tmpDir, `exec-${randomUUID().slice(0, 8)}.pid`);
  const child = spawn(opts.runc, ['--root', opts.root, 'exec', '--pid-file', pidFile, opts.id, ...command], {
    stdio: [stream.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  // A broken stdin pipe (the command exited without reading it) is not the agent's failure.
  child.stdin?.on('error', () => undefined);
  let killed = false;
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(126));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  }).finally(() => rm(pidFile, { force: true }));
  const { stdout, stderr } = child;
  if (!stdout || !stderr) return Promise.reject(new Error('runc exec started without output pipes'));
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(err));
    child.once('spawn', () =>
      resolve({
        stdin: child.stdin ?? undefined,
        stdout,
        stderr,
        resize: () => undefined,
        kill: () => {
          if (killed) return;
          killed = true;
          void readFile(pidFile, 'utf8')
            .then((text) => process.kill(Number(text.trim()), 'SIGKILL'))
            .catch(() => undefined)
            .finally(() => child.kill('SIGKILL'));
        },
        exited,
      }),
    );
  });
}

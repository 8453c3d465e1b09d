/**
 * `runc exec` with its stdio as streams (kubectl `exec -i/-t`, `cp`). Without a tty, runc hands its
 * own stdin, stdout and stderr to the command, so the pipes the agent holds are the command's.
 * Output is read as it comes; the agent stops reading when its peer is slow, and the command then
 * blocks on a full pipe. `kill` SIGKILLs the command's own process (its host pid from `--pid-file`:
 * killing `runc exec` alone would leave it running), then what runs it.
 *
 * With a tty, `runc exec -t` makes the container's terminal itself and copies between it and its own
 * stdio, which must be a terminal too (runc reads its size and sets it raw). Node cannot open a pty
 * and cannot receive a pty master over `--console-socket` (SCM_RIGHTS) without a native module, so
 * runc runs under util-linux `script`, a pty helper present wherever runc is: `script` gives runc a
 * pty and relays it to our pipes. Its size is set with `stty` on that pty, first before runc starts
 * and then on each resize (the kernel signals SIGWINCH to runc, which resizes the container's
 * terminal to match).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecProcess, ExecStreamOptions } from '../../api/index.js';
import { killTree } from '../process-tree.js';

/** The pty helper and the terminal tool (util-linux and coreutils). */
export const SCRIPT = 'script';
const STTY = 'stty';

/** Starts `command` in container `id` with streamed stdio. */
export function runcExecStream(
  opts: { runc: string; root: string; id: string; tmpDir: string },
  command: readonly string[],
  stream: ExecStreamOptions,
): Promise<ExecProcess> {
  const tag = randomUUID().slice(0, 8);
  const pidFile = join(opts.tmpDir, `exec-${tag}.pid`);
  const ttyFile = join(opts.tmpDir, `exec-${tag}.tty`);
  const runcArgs = ['--root', opts.root, 'exec', ...(stream.tty ? ['-t'] : []), '--pid-file', pidFile, opts.id];
  const child = stream.tty
    ? spawn(
        SCRIPT,
        [
          '-q',
          '-e',
          '-E',
          'never',
          '-c',
          ttyWrapper(opts.runc, [...runcArgs, ...command], ttyFile, stream.size),
          '/dev/null',
        ],
        {
          stdio: ['pipe', 'pipe', 'ignore'],
          env: { ...process.env, SHELL: '/bin/sh' },
        },
      )
    : spawn(opts.runc, [...runcArgs, ...command], { stdio: [stream.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // A broken stdin pipe (the command exited without reading it) is not the agent's failure.
  child.stdin?.on('error', () => undefined);
  let killed = false;
  let latest: { width: number; height: number } | undefined;
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(126));
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  }).finally(() => Promise.all([rm(pidFile, { force: true }), rm(ttyFile, { force: true })]));
  const { stdout } = child;
  if (!stdout) return Promise.reject(new Error('runc exec started without an output pipe'));
  // With a tty but no stdin from the client, the terminal simply gets no input.
  const stdin = stream.stdin ? (child.stdin ?? undefined) : undefined;
  if (stream.tty && !stream.stdin) child.stdin?.end();
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(err));
    child.once('spawn', () =>
      resolve({
        stdin,
        stdout,
        stderr: child.stderr ?? undefined,
        resize: (size) => {
          if (!stream.tty) return;
          // kubectl sends the first size as soon as it connects, maybe before the pty exists: the
          // latest size wins, applied once the wrapper has written the pty's path.
          latest = size;
          void ptsOf(ttyFile).then((pts) => (pts && latest ? setSize(pts, latest) : undefined));
        },
        kill: () => {
          if (killed) return;
          killed = true;
          void readFile(pidFile, 'utf8')
            .then((text) => killTree(Number(text.trim())))
            .catch(() => undefined)
            .finally(() => child.kill('SIGKILL'));
        },
        exited,
      }),
    );
  });
}

/**
 * The shell line `script` runs: note the pty's path (for resizes), set its first size, then become
 * runc. Every argument is single-quoted, so nothing of the command is read by the shell.
 */
function ttyWrapper(
  runc: string,
  args: readonly string[],
  ttyFile: string,
  size: { width: number; height: number } | undefined,
): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const stty = size ? ` && ${STTY} cols ${size.width} rows ${size.height}` : '';
  return `tty > ${q(ttyFile)}${stty} && exec ${[runc, ...args].map(q).join(' ')}`;
}

/** The pty path the wrapper wrote, waiting for it a little (up to 5 s); undefined when it never came. */
export async function ptsOf(ttyFile: string): Promise<string | undefined> {
  for (let i = 0; i < 50; i++) {
    const text = await readFile(ttyFile, 'utf8').catch(() => '');
    if (text.endsWith('\n')) return text.trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** Sets a pty's size (the kernel then signals SIGWINCH to its foreground process: runc). */
export function setSize(pts: string, size: { width: number; height: number }): Promise<void> {
  if (!/^\/dev\/pts\/\d+$/.test(pts)) return Promise.resolve();
  return new Promise((resolve) => {
    execFile(STTY, ['-F', pts, 'cols', String(size.width), 'rows', String(size.height)], () => resolve());
  });
}

/**
 * runc under a shim that outlives the agent (issue 20: containers survive an agent restart). The
 * agent does not run `runc run` as its own child with pipes it holds: a container writing to a pipe
 * whose only reader was a killed agent gets SIGPIPE (EPIPE) on its next write and dies. Instead a
 * small `sh` shim, in a session of its own, runs runc with stdout/stderr on two named pipes in the
 * bundle and writes runc's exit status to a file when it ends. The shim holds both pipes open for
 * reading and writing itself, so they always have a reader while the container runs: what the
 * container writes while no agent reads waits in the pipe (64 KiB; past that its writes block, as
 * with a slow disk) and the next agent reads it on. An agent — the one that started the container,
 * or the next one — reads the pipes until their end (the shim's exit closes the last writer), then
 * the exit file.
 *
 * A container with stdin or a terminal has a third pipe, its stdin (`in.fifo`). A holder process of
 * the shim keeps a writer on it, so the container never reads an end while no agent writes (a shell
 * would exit on it); the agent writes attaches' input into the pipe. Closing the container's stdin
 * (`stdinOnce`) ends the holder (its pid is in the bundle) after a marker file says so, which the next
 * agent reads. With a terminal, util-linux `script` runs under the shim as the pty helper (as before,
 * when it was the agent's child), its stdin and output on the pipes.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile, readlink, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { runCommand } from '../command.js';

/** Files of the shim in a bundle. */
export const SHIM_FILES = {
  out: 'out.fifo',
  err: 'err.fifo',
  exit: 'exit',
  in: 'in.fifo',
  /** The pid of the process holding a writer on the stdin pipe. */
  stdinHolder: 'stdin.pid',
  /** Written when the container's stdin was closed (the next agent opens it no more). */
  stdinClosed: 'stdin.closed',
} as const;

// $1 is the bundle; the rest is the command line (never read by the shell: "$@"). The holder is
// `sleep` with the pipe open on fd 5 (read+write, so the open does not block); the shim ends it when
// the container has exited.
const SHIM_SCRIPT = [
  'b=$1; shift',
  // fds 3 and 4 (read+write, so neither open blocks) keep a reader on each pipe while the shim lives.
  `exec 3<>"$b/${SHIM_FILES.out}" 4<>"$b/${SHIM_FILES.err}"`,
  `if [ -p "$b/${SHIM_FILES.in}" ]; then`,
  `  ( exec 3>&- 4>&- 5<>"$b/${SHIM_FILES.in}" </dev/null >/dev/null 2>&1; exec sleep 2147483647 ) &`,
  `  h=$!; echo $h >"$b/${SHIM_FILES.stdinHolder}"`,
  `  "$@" <"$b/${SHIM_FILES.in}" >"$b/${SHIM_FILES.out}" 2>"$b/${SHIM_FILES.err}" 3>&- 4>&-`,
  // Not after an agent ended it (its pid may be another process's by now).
  `  s=$?; [ -e "$b/${SHIM_FILES.stdinClosed}" ] || kill $h 2>/dev/null`,
  'else',
  `  "$@" >"$b/${SHIM_FILES.out}" 2>"$b/${SHIM_FILES.err}" 3>&- 4>&-`,
  '  s=$?',
  'fi',
  `echo $s >"$b/${SHIM_FILES.exit}"`,
].join('\n');

/** The container's output pipes as the agent reads them. */
export interface ShimOutput {
  stdout: net.Socket;
  stderr: net.Socket;
  /** Resolves once both pipes ended (every writer, the shim last, closed them). */
  ended: Promise<void>;
}

/** Makes the bundle's pipes (a fresh container); `stdin`: its stdin pipe too. */
export async function makeShimPipes(bundle: string, stdin = false): Promise<void> {
  const pipes = [SHIM_FILES.out, SHIM_FILES.err, ...(stdin ? [SHIM_FILES.in] : [])];
  await runCommand('mkfifo', ['-m', '600', ...pipes.map((p) => join(bundle, p))]);
}

/**
 * A writer on the container's stdin pipe (opened read+write: the open neither blocks nor fails before
 * the holder has it); undefined when its stdin was closed already.
 */
export async function openShimStdin(bundle: string): Promise<net.Socket | undefined> {
  // Closed by an agent that may have died between the marker and ending the holder: end it now.
  if (await endClosedStdinHolder(bundle)) return undefined;
  const fd = openSync(join(bundle, SHIM_FILES.in), constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new net.Socket({ fd, readable: false, writable: true });
  // A write after the container's end is nobody's failure: its attaches end with it.
  socket.on('error', () => undefined);
  return socket;
}

/**
 * Ends the stdin holder if the container's stdin was marked closed (an agent may have died between
 * the marker and ending the holder; the shim does not end a holder once the marker is there, so it
 * would outlive the container). Resolves true when the stdin was marked closed.
 */
export async function endClosedStdinHolder(bundle: string): Promise<boolean> {
  if (!(await stat(join(bundle, SHIM_FILES.stdinClosed)).catch(() => undefined))) return false;
  await endHolder(bundle);
  return true;
}

/**
 * Closes the container's stdin for good: marks it (for the next agent) and ends the holder; once the
 * agent's own writer is closed too, the container reads its end.
 */
export async function closeShimStdin(bundle: string): Promise<void> {
  await writeFile(join(bundle, SHIM_FILES.stdinClosed), '');
  await endHolder(bundle);
}

/**
 * Ends the holder of the bundle's stdin pipe, if the process its pid file names is still that holder
 * (its fd 5 is this pipe): a pid the holder had may belong to another process by now.
 */
async function endHolder(bundle: string): Promise<void> {
  const pid = Number((await readFile(join(bundle, SHIM_FILES.stdinHolder), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const held = await readlink(`/proc/${pid}/fd/5`).catch(() => undefined);
  if (held !== join(bundle, SHIM_FILES.in)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile (the container ended, and the shim ended it).
  }
}

/**
 * Opens the bundle's pipes for reading. `hold` also opens a writer on each for a moment, so the
 * pipes do not end before the shim has opened its own; the returned function drops it.
 */
export function openShimOutput(bundle: string, hold = false): { output: ShimOutput; release: () => void } {
  const held: number[] = [];
  const opened: net.Socket[] = [];
  const open = (name: string): net.Socket => {
    const file = join(bundle, name);
    // Non-blocking: opening a pipe's read end waits for no writer, and libuv reads it without a thread.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const socket = new net.Socket({ fd, readable: true, writable: false });
    opened.push(socket);
    if (hold) held.push(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
    return socket;
  };
  let stdout: net.Socket;
  let stderr: net.Socket;
  try {
    stdout = open(SHIM_FILES.out);
    stderr = open(SHIM_FILES.err);
  } catch (err) {
    // A pipe gone or no fd left: nothing of this open stays.
    for (const s of opened) s.destroy();
    for (const fd of held) closeSync(fd);
    throw err;
  }
  const closed = (s: net.Socket): Promise<void> =>
    new Promise((resolve) => {
      s.once('close', () => resolve());
      s.once('error', () => undefined);
    });
  const ended = Promise.all([closed(stdout), closed(stderr)]).then(() => undefined);
  const release = (): void => {
    for (const fd of held.splice(0)) closeSync(fd);
  };
  return { output: { stdout, stderr, ended }, release };
}

/** Starts the shim running `command` (detached: neither the agent's signals nor its exit reach it). */
export function spawnShim(
  bundle: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { exited: Promise<void> } {
  const child = spawn('/bin/sh', ['-c', SHIM_SCRIPT, 'edgeplane-shim', bundle, command, ...args], {
    stdio: 'ignore',
    detached: true,
    env,
  });
  const exited = new Promise<void>((resolve) => {
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
  // The agent may exit before it: the shim is nobody's to wait for then (init reaps it).
  child.unref();
  return { exited };
}

/** runc's exit status as the shim recorded it, with the time it was written; undefined when it did not. */
export async function shimExit(bundle: string): Promise<{ code: number; at: Date } | undefined> {
  const file = join(bundle, SHIM_FILES.exit);
  try {
    const code = Number((await readFile(file, 'utf8')).trim());
    if (!Number.isInteger(code)) return undefined;
    return { code, at: (await stat(file)).mtime };
  } catch {
    return undefined;
  }
}
